"""Importing boundaries: any declared CRS to EPSG:4326, repairs named, bad files leave nothing behind."""

import gzip
import json
import random
import zipfile

import click
import pytest
import shapefile
from pyproj import CRS
from shapely.geometry import Point
from sqlalchemy import func, select

from seeclick.areas import readers
from seeclick.areas.cli import in_one_transaction
from seeclick.departments.models import Department, ServiceArea
from seeclick.neighbourhoods.models import Neighbourhood
from tests.conftest import SHIPPED_DATA, taxlots

NYC_BOUNDS = (-74.27, 40.49, -73.69, 40.92)


@pytest.fixture
def precinct_file():
    """The real precinct boundaries, published in EPSG:2263 (NY State Plane, US feet), as the project ships them."""
    return SHIPPED_DATA / "police_precincts.geojson.gz"


@pytest.fixture
def dept(session):
    department = Department(code="test-dept", name="Test department", agency="test")
    session.add(department)
    session.flush()
    return department


def area_count(session):
    return session.scalar(select(func.count()).select_from(ServiceArea))


def write_geojson(tmp_path, features, crs=None, name="areas.geojson"):
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def square(x, y, size=0.01, **properties):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}


# --- reading --------------------------------------------------------------------------------

def test_the_state_plane_precinct_file_is_reprojected_onto_the_city(precinct_file):
    area_file = readers.read(precinct_file, name_property="precinct")
    assert area_file.crs.to_epsg() == 2263
    assert len(area_file.features) == 77
    west, south, east, north = NYC_BOUNDS
    for feature in area_file.features:
        minx, miny, maxx, maxy = feature.geometry.bounds
        assert west < minx < maxx < east and south < miny < maxy < north, feature.label("precinct")
    # Reprojected correctly, real tax lots fall inside the precinct their records name.
    by_number = {f.properties["precinct"]: f.geometry for f in area_file.features}
    lots = random.Random(1).sample(taxlots(), 200)
    inside = [by_number[int(float(lot["policeprct"]))].buffer(1e-4).contains(
        Point(float(lot["longitude"]), float(lot["latitude"]))) for lot in lots]
    assert all(inside)


def test_a_shapefile_with_its_prj_is_read_in_its_own_crs(tmp_path, precinct_file):
    precincts = readers.read(precinct_file).features[:3]
    with gzip.open(precinct_file, "rt") as f:
        raw = json.load(f)["features"][:3]
    assert {f["geometry"]["type"] for f in raw} == {"Polygon", "MultiPolygon"}  # both kinds are written below
    with shapefile.Writer(str(tmp_path / "precincts"), shapeType=shapefile.POLYGON) as writer:
        writer.field("precinct", "N")
        for feature in raw:
            geometry = feature["geometry"]
            polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            rings = [ring for polygon in polygons for ring in polygon]
            writer.poly(rings)
            writer.record(feature["properties"]["precinct"])
    (tmp_path / "precincts.prj").write_text(CRS.from_epsg(2263).to_wkt("WKT1_ESRI"))
    area_file = readers.read(tmp_path / "precincts.shp", name_property="precinct")
    assert area_file.crs.equals(CRS.from_epsg(2263), ignore_axis_order=True)
    for ours, theirs in zip(area_file.features, precincts, strict=True):
        assert ours.properties["precinct"] == theirs.properties["precinct"]
        assert ours.geometry.symmetric_difference(theirs.geometry).area < 1e-3 * theirs.geometry.area

    # The same Shapefile zipped, as cities usually publish them.
    with zipfile.ZipFile(tmp_path / "precincts.zip", "w") as archive:
        for ext in ("shp", "shx", "dbf", "prj"):
            archive.write(tmp_path / f"precincts.{ext}", f"precincts.{ext}")
    zipped = readers.read(tmp_path / "precincts.zip")
    assert [f.properties["precinct"] for f in zipped.features] == [f.properties["precinct"] for f in precincts]


def test_a_shapefile_without_a_prj_asks_for_the_crs(tmp_path):
    with shapefile.Writer(str(tmp_path / "bare"), shapeType=shapefile.POLYGON) as writer:
        writer.field("name", "C")
        writer.poly([[[-74.0, 40.7], [-73.99, 40.7], [-73.99, 40.71], [-74.0, 40.7]]])
        writer.record("x")
    with pytest.raises(readers.AreaFileError, match="no .prj"):
        readers.read(tmp_path / "bare.shp")
    assert len(readers.read(tmp_path / "bare.shp", crs="EPSG:4326").features) == 1


def test_a_self_intersecting_polygon_is_repaired_and_named(tmp_path):
    ring = [[-74.0, 40.7], [-73.99, 40.71], [-73.99, 40.7], [-74.0, 40.71], [-74.0, 40.7]]
    bowtie = {"type": "Feature", "properties": {"name": "bowtie"},
              "geometry": {"type": "Polygon", "coordinates": [ring]}}
    area_file = readers.read(write_geojson(tmp_path, [square(-73.95, 40.7), bowtie]), name_property="name")
    [repaired] = area_file.repaired
    assert repaired.label("name") == "feature 2 (name=bowtie)"
    assert "Self-intersection" in repaired.repaired
    assert repaired.geometry.is_valid and repaired.geometry.area > 0


@pytest.mark.parametrize("content, message", [
    ("{not json", "not readable GeoJSON"),
    ('{"type": "Polygon", "coordinates": []}', "not a GeoJSON FeatureCollection"),
    ('{"type": "FeatureCollection", "features": []}', "holds no features"),
])
def test_unreadable_files_are_refused(tmp_path, content, message):
    path = tmp_path / "broken.geojson"
    path.write_text(content)
    with pytest.raises(readers.AreaFileError, match=message):
        readers.read(path)


def test_every_bad_feature_is_named_at_once(tmp_path):
    point = {"type": "Feature", "properties": {"name": "a point"},
             "geometry": {"type": "Point", "coordinates": [-74, 40.7]}}
    empty = {"type": "Feature", "properties": {"name": "nothing"}, "geometry": None}
    with pytest.raises(readers.AreaFileError) as caught:
        readers.read(write_geojson(tmp_path, [square(-74, 40.7), point, empty]), name_property="name")
    assert caught.value.problems == [
        "feature 2 (name=a point) is a Point, not a polygon",
        "feature 3 (name=nothing) has no geometry",
    ]


def test_projected_coordinates_without_a_declared_crs_are_refused(tmp_path):
    projected = square(980000, 190000, size=1000, name="feet")
    with pytest.raises(readers.AreaFileError, match="outside longitude/latitude.*--crs"):
        readers.read(write_geojson(tmp_path, [projected]), name_property="name")
    assert readers.read(write_geojson(tmp_path, [projected]), crs="EPSG:2263").features[0].geometry.bounds[0] < -73


def test_a_crs_that_contradicts_the_file_is_refused(tmp_path, precinct_file):
    with pytest.raises(readers.AreaFileError, match="declares"):
        readers.read(precinct_file, crs="EPSG:4326")


def test_an_unknown_crs_is_refused(tmp_path):
    with pytest.raises(readers.AreaFileError, match="unknown coordinate reference system"):
        readers.read(write_geojson(tmp_path, [square(-74, 40.7)]), crs="EPSG:999999")


# --- the commands -------------------------------------------------------------------------

def test_import_command_adds_service_areas_with_area_and_parts(cli, session, dept, precinct_file):
    result = cli.invoke(args=["areas", "import", str(precinct_file), "--department", "test-dept",
                              "--name-property", "precinct"])
    assert result.exit_code == 0, result.output
    assert "77 features in EPSG:2263" in result.output and "imported 77 service areas" in result.output
    areas = session.scalars(select(ServiceArea).where(ServiceArea.department_id == dept.id)).all()
    assert len(areas) == 77
    # Precinct 1 (lower Manhattan) is about 3.9 km2 in the city's own figures.
    first = next(a for a in areas if a.name == "1")
    assert 2.5e6 < first.area_m2 < 6e6


def test_import_by_property_maps_features_to_departments(cli, session, tmp_path):
    session.add_all([Department(code="zone-a", name="A", agency="t"), Department(code="zone-b", name="B", agency="t")])
    session.flush()
    path = write_geojson(tmp_path, [square(-74.0, 40.7, zone="a"), square(-73.9, 40.7, zone="b")])
    result = cli.invoke(args=["areas", "import", str(path), "--department-property", "zone",
                              "--department-code", "zone-{}"])
    assert result.exit_code == 0, result.output
    owners = session.scalars(select(Department.code).join(ServiceArea).where(Department.agency == "t")
                            .order_by(Department.code)).all()
    assert owners == ["zone-a", "zone-b"]


def test_work_that_fails_after_writing_is_rolled_back_whole(session):
    def work():
        session.add(Department(code="half-made", name="Half made", agency="t"))
        session.flush()  # written to the database, not yet committed
        raise ValueError("the second half failed")

    with pytest.raises(click.ClickException, match=r"the second half failed\nNothing was imported"):
        in_one_transaction(work)
    assert session.scalar(select(Department).where(Department.code == "half-made")) is None


def test_a_file_naming_an_unknown_department_imports_nothing(cli, session, tmp_path, dept):
    before = area_count(session)
    path = write_geojson(tmp_path, [square(-74.0, 40.7, zone="test-dept"), square(-73.9, 40.7, zone="nobody")])
    result = cli.invoke(args=["areas", "import", str(path), "--department-property", "zone"])
    assert result.exit_code != 0
    assert "no department with code 'nobody'" in result.output and "Nothing was imported" in result.output
    assert area_count(session) == before


@pytest.mark.parametrize("args, message", [
    (["areas", "import", "missing.geojson", "--department", "dot-bk"], "no such file"),
    (["areas", "import", "x.geojson"], "exactly one of --department or --department-property"),
    (["areas", "import", "x.geojson", "--department", "a", "--department-property", "b"], "exactly one"),
    (["areas", "import", "notes.txt", "--department", "dot-bk"], "unknown format"),
    (["neighbourhoods", "import", "x.geojson"], "Missing option '--code-property'"),
])
def test_import_commands_explain_bad_arguments(cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [square(-74, 40.7)]}))
    (tmp_path / "notes.txt").write_text("hello")
    result = cli.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output


def test_neighbourhoods_are_updated_by_code(cli, session, tmp_path):
    path = write_geojson(tmp_path, [square(-73.96, 40.72, code="BK0101", label="Greenpoint (renamed)")])
    result = cli.invoke(args=["neighbourhoods", "import", str(path), "--code-property", "code",
                              "--name-property", "label"])
    assert result.exit_code == 0, result.output
    hood = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0101"))
    assert hood.name == "Greenpoint (renamed)"
    assert session.scalar(select(func.count()).select_from(Neighbourhood)) == 262


def test_shipped_neighbourhoods_are_the_262_ntas(session):
    assert session.scalar(select(func.count()).select_from(Neighbourhood)) == 262
    hood = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "MN0301"))
    assert hood.name == "Chinatown-Two Bridges" and hood.borough == "Manhattan"


def test_coordinates_with_heights_are_flattened(cli, session, dept, tmp_path):
    ring = [[-74.0, 40.7, 12.5], [-73.99, 40.7, 13.0], [-73.99, 40.71, 11.0], [-74.0, 40.7, 12.5]]
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    result = cli.invoke(args=["areas", "import", str(write_geojson(tmp_path, [feature])), "--department", "test-dept"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.ST_NDims(ServiceArea.geom)).where(ServiceArea.department_id == dept.id)) == 2


def test_a_shapefile_record_without_a_shape_is_named(tmp_path):
    with shapefile.Writer(str(tmp_path / "holes"), shapeType=shapefile.POLYGON) as writer:
        writer.field("name", "C")
        writer.poly([[[-74.0, 40.7], [-73.99, 40.7], [-73.99, 40.71], [-74.0, 40.7]]])
        writer.record("fine")
        writer.null()
        writer.record("empty")
    with pytest.raises(readers.AreaFileError) as caught:
        readers.read(tmp_path / "holes.shp", crs="EPSG:4326", name_property="name")
    assert caught.value.problems == ["feature 2 (name=empty) has no geometry"]


def test_a_collection_without_features_is_refused(tmp_path):
    path = tmp_path / "bare.geojson"
    path.write_text('{"type": "FeatureCollection"}')
    with pytest.raises(readers.AreaFileError, match="no features"):
        readers.read(path)
