"""Boundary files as real cities send them: TopoJSON, a CRS declared wrongly, properties misspelt, long codes."""

import gzip
import json

import pytest
from sqlalchemy import func, select

from seeclick.areas import readers
from seeclick.departments.models import ServiceArea
from seeclick.neighbourhoods.models import Neighbourhood
from tests.conftest import SHIPPED_DATA
from tests.test_areas_import import NYC_BOUNDS, square, write_geojson


def precincts():
    with gzip.open(SHIPPED_DATA / "police_precincts.geojson.gz", "rt") as f:
        return json.load(f)


def topology(features, quantized=True):
    """Features as a TopoJSON Topology, each ring an arc of its own (delta-encoded on a grid when quantized)."""
    arcs, geometries = [], []
    scale, shift = (1e-5, 1e-5), (-75.0, 40.0)
    for feature in features:
        rings = []
        for ring in feature["geometry"]["coordinates"]:
            if quantized:
                grid = [(round((x - shift[0]) / scale[0]), round((y - shift[1]) / scale[1])) for x, y in ring]
                arcs.append([grid[0], *[(b[0] - a[0], b[1] - a[1]) for a, b in zip(grid, grid[1:], strict=False)]])
            else:
                arcs.append(ring)
            rings.append([len(arcs) - 1])
        geometries.append({"type": "Polygon", "arcs": rings, "properties": feature["properties"]})
    document = {"type": "Topology", "objects": {"areas": {"type": "GeometryCollection", "geometries": geometries}},
                "arcs": arcs}
    if quantized:
        document["transform"] = {"scale": list(scale), "translate": list(shift)}
    return document


@pytest.mark.parametrize("quantized", [True, False])
def test_topojson_is_read_into_the_same_polygons(tmp_path, quantized):
    features = [square(-73.95, 40.70, name="north"), square(-73.95, 40.68, name="south")]
    path = tmp_path / "areas.topojson"
    path.write_text(json.dumps(topology(features, quantized)))
    area_file = readers.read(path, name_property="name")
    assert [f.properties["name"] for f in area_file.features] == ["north", "south"]
    for feature, read in zip(features, area_file.features, strict=True):
        (x0, y0), _, (x1, y1) = feature["geometry"]["coordinates"][0][:3]
        assert read.geometry.bounds == pytest.approx((x0, y0, x1, y1), abs=1e-5)
        assert read.geometry.area == pytest.approx(0.0001, rel=1e-3)


def test_a_topojson_arc_used_reversed_closes_the_ring(tmp_path):
    ring = [[-73.95, 40.70], [-73.94, 40.70], [-73.94, 40.71], [-73.95, 40.71], [-73.95, 40.70]]
    document = {"type": "Topology", "arcs": [ring[:3], ring[2:][::-1]],  # the second arc stored backwards
                "objects": {"a": {"type": "Polygon", "arcs": [[0, ~1]], "properties": {"name": "joined"}}}}
    path = tmp_path / "joined.json"
    path.write_text(json.dumps(document))
    [feature] = readers.read(path).features
    assert feature.geometry.area == pytest.approx(0.0001, rel=1e-6)
    broken = tmp_path / "broken.topojson"
    broken.write_text(json.dumps({"type": "Topology", "arcs": [], "objects": {"a": {"type": "Polygon",
                                                                                    "arcs": [[3]]}}}))
    with pytest.raises(readers.AreaFileError, match="not a readable TopoJSON"):
        readers.read(broken)


def test_a_file_declared_in_the_wrong_crs_is_refused_naming_it_and_the_likely_one(tmp_path):
    document = precincts()  # published in EPSG:2263, US feet; declared here as its metre sibling, EPSG:32118
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32118"}}
    path = tmp_path / "precincts.geojson"
    path.write_text(json.dumps(document))
    with pytest.raises(readers.AreaFileError) as caught:
        readers.read(path, name_property="precinct", expected=NYC_BOUNDS)
    [problem] = caught.value.problems
    assert "read in EPSG:32118 (NAD83 / New York Long Island)" in problem
    assert " km from the city's areas" in problem
    assert "it is probably in EPSG:2263 (NAD83 / New York Long Island (ftUS))" in problem
    assert len(readers.read(SHIPPED_DATA / "police_precincts.geojson.gz", expected=NYC_BOUNDS).features) == 77


def test_the_command_checks_against_the_areas_already_imported(cli, session, tmp_path):
    far = write_geojson(tmp_path, [square(2.35, 48.85, name="Paris")])  # right CRS, wrong city
    result = cli.invoke(args=["areas", "import", str(far), "--department", "dot-bk", "--name-property", "name"])
    assert result.exit_code == 1 and "km from the city's areas" in result.output
    assert "Nothing was imported" in result.output or "cannot import" in result.output


def test_a_misspelt_property_is_refused_with_the_files_properties(cli, session, tmp_path):
    before = session.scalar(select(func.count()).select_from(ServiceArea))
    path = write_geojson(tmp_path, [square(-73.95, 40.70, name="north", borough="Brooklyn")])
    result = cli.invoke(args=["areas", "import", str(path), "--department", "dot-bk", "--name-property", "nmae"])
    assert result.exit_code == 1
    assert "--name-property 'nmae' is not a property of this file's features; they have: borough, name" in \
        result.output
    assert session.scalar(select(func.count()).select_from(ServiceArea)) == before
    hoods = cli.invoke(args=["neighbourhoods", "import", str(path), "--code-property", "nta", "--name-property",
                             "name"])
    assert hoods.exit_code == 1 and "--code-property 'nta'" in hoods.output


def test_neighbourhood_codes_of_any_length_are_imported(cli, session, tmp_path):
    code = "BROOKLYN-COMMUNITY-DISTRICT-08-CROWN-HEIGHTS-NORTH"
    path = write_geojson(tmp_path, [square(-73.95, 40.67, code=code, name="Crown Heights North test")])
    result = cli.invoke(args=["neighbourhoods", "import", str(path), "--code-property", "code", "--name-property",
                              "name"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(Neighbourhood.name).where(Neighbourhood.code == code)) == "Crown Heights North test"
