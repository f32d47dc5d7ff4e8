"""Build the demo city's shipped data from the full open-data files (see demo/data/PROVENANCE.md).

Coordinates are snapped (0.1 m in degrees, 1 ft in the State Plane precinct file) and simplified
by about a metre, which keeps neighbouring boundaries within a metre of each other. The precinct
file keeps its EPSG:2263 projection so that loading the demo city exercises reprojection.
"""

import csv
import gzip
import io
import json
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

DATA = Path(__file__).resolve().parent / "data"

# (source file, shipped name, properties kept, snap grid, simplification tolerance)
BOUNDARIES = (
    ("nyc_boroughs.geojson", "boroughs.geojson.gz", ("borough_code", "name"), 1e-6, 1e-5),
    ("nyc_community_districts.geojson", "community_districts.geojson.gz", ("boro_cd", "name"), 1e-6, 1e-5),
    ("nyc_nta2020.geojson", "nta2020.geojson.gz", ("nta2020", "name", "borough"), 1e-6, 1e-5),
    ("nyc_police_precincts.geojson", "police_precincts.geojson.gz", ("precinct",), 1.0, 3.0),
)
TAXLOTS = ("nyc_taxlot_points_sample20k.csv", "taxlots.csv.gz",
           ("borough", "latitude", "longitude", "communitydist", "policeprct", "nta"))

ZIP_CODES = ("modzcta-boundaries.geojson", "zip_codes.csv.gz")


def build(source: Path, target: Path = DATA) -> list[tuple[str, int]]:
    """Write the shipped copies into target; returns (name, bytes) for each."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for src, name, keep, grid, tolerance in BOUNDARIES:
        data = json.loads((source / src).read_text())
        features = []
        for feature in data["features"]:
            geom = shapely.set_precision(shape(feature["geometry"]), grid)
            geom = geom.simplify(tolerance, preserve_topology=True)
            features.append({
                "type": "Feature",
                "properties": {k: feature["properties"].get(k) for k in keep},
                "geometry": _rounded(mapping(geom), 6 if grid < 1 else 0),
            })
        collection = {"type": "FeatureCollection", "features": features}
        if data.get("crs"):
            collection["crs"] = data["crs"]
        _write_gz(target / name, json.dumps(collection, separators=(",", ":")))
        written.append((name, (target / name).stat().st_size))
    src, name, keep = TAXLOTS
    with open(source / src, newline="") as f:
        rows = list(csv.DictReader(f))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keep, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _write_gz(target / name, out.getvalue())
    written.append((name, (target / name).stat().st_size))
    if (source / ZIP_CODES[0]).exists():
        written.append(build_zip_codes(source / ZIP_CODES[0], target))
    return written


def build_zip_codes(source: Path, target: Path = DATA) -> tuple[str, int]:
    """One point inside each ZIP code area (modified ZCTA), with its borough: the ZIP codes people can search for.

    The areas are in EPSG:2263 as published; each gets the point on its surface, in EPSG:4326, and the
    borough (of the shipped borough boundaries) that holds it.
    """
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:2263", "EPSG:4326", always_xy=True)
    with gzip.open(target / "boroughs.geojson.gz", "rt") as f:
        boroughs = [(feature["properties"]["name"], shape(feature["geometry"])) for feature in json.load(f)["features"]]
    rows = []
    for feature in json.loads(source.read_text())["features"]:
        x, y = shape(feature["geometry"]).point_on_surface().coords[0]
        lon, lat = to_wgs84.transform(x, y)
        point = shapely.Point(lon, lat)
        borough = min(boroughs, key=lambda b: b[1].distance(point))[0]
        rows.append((str(feature["properties"]["modzcta"]), borough, f"{lat:.6f}", f"{lon:.6f}"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("postcode", "borough", "latitude", "longitude"))
    writer.writerows(sorted(rows))
    _write_gz(target / ZIP_CODES[1], out.getvalue())
    return ZIP_CODES[1], (target / ZIP_CODES[1]).stat().st_size


def _rounded(geometry: dict, digits: int) -> dict:
    def walk(value):
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return round(value, digits) if digits else int(round(value))

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _write_gz(path: Path, text: str) -> None:
    # mtime=0 keeps the bytes identical from one build to the next.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(text.encode("utf-8"))
