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
    return written


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
