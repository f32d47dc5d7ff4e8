"""Read polygon features from GeoJSON or Shapefile in any declared CRS, as EPSG:4326 Shapely.

Every problem found is collected and raised together, naming each feature, so that a person
can fix the file in one pass; nothing is half-read.
"""

import gzip
import io
import json
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapefile
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import shape
from shapely.validation import explain_validity

from seeclick.geo import SRID, as_multipolygon

WGS84 = CRS.from_epsg(SRID)
CRS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84"}


class AreaFileError(ValueError):
    """A file that cannot be imported; the message names every bad feature."""

    def __init__(self, path, problems: list[str]):
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path}: cannot import:\n{listed}{more}")


@dataclass
class Feature:
    number: int  # 1-based position in the file, as a person counts
    properties: dict
    geometry: object  # a Shapely MultiPolygon in EPSG:4326
    repaired: str | None = None  # why the geometry had to be repaired, if it was

    def label(self, name_property=None) -> str:
        name = self.properties.get(name_property) if name_property else None
        return f"feature {self.number}" + (f" ({name_property}={name})" if name is not None else "")


@dataclass
class AreaFile:
    path: Path
    crs: CRS
    features: list[Feature] = field(default_factory=list)

    @property
    def repaired(self) -> list[Feature]:
        return [f for f in self.features if f.repaired]


def parse_crs(text: str, where: str) -> CRS:
    if text in CRS84_NAMES:
        return WGS84
    try:
        return CRS.from_user_input(text)
    except CRSError as error:
        raise AreaFileError(where, [f"unknown coordinate reference system {text!r}: {error}"]) from None


def read(path, crs: str | None = None, name_property: str | None = None) -> AreaFile:
    """Read a .geojson/.json(.gz), .shp or zipped Shapefile; crs is used when the file declares none."""
    path = Path(path)
    if not path.exists():
        raise AreaFileError(path, ["no such file"])
    suffixes = "".join(path.suffixes[-2:]).lower()
    if suffixes.endswith((".geojson", ".json", ".geojson.gz", ".json.gz")):
        declared, raw = _read_geojson(path)
    elif suffixes.endswith((".shp", ".zip")):
        declared, raw = _read_shapefile(path)
    else:
        raise AreaFileError(path, ["unknown format: expected .geojson, .json, .shp or .zip (a zipped Shapefile)"])

    if declared is not None and crs is not None and parse_crs(crs, path) != declared:
        raise AreaFileError(path, [f"the file declares {declared.to_string()} but {crs} was asked for"])
    if declared is None and crs is None and path.suffix.lower() in (".shp", ".zip"):
        raise AreaFileError(path, ["the Shapefile has no .prj; give its coordinate reference system (--crs EPSG:NNNN)"])
    source = declared or (parse_crs(crs, path) if crs else WGS84)  # GeoJSON without `crs` is WGS 84
    return AreaFile(path, source, _clean(path, raw, source, name_property))


def _read_geojson(path):
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AreaFileError(path, [f"not readable GeoJSON: {error}"]) from None
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise AreaFileError(path, ["not a GeoJSON FeatureCollection"])
    declared = None
    name = (data.get("crs") or {}).get("properties", {}).get("name")
    if name:
        declared = parse_crs(name, path)
    features = data.get("features") if data["type"] == "FeatureCollection" else [data]
    if not isinstance(features, list):
        raise AreaFileError(path, ["the FeatureCollection has no features list"])
    return declared, [(f.get("properties") or {}, f.get("geometry")) for f in features if isinstance(f, dict)]


def _read_shapefile(path):
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                parts = {}
                for ext in ("shp", "shx", "dbf", "prj"):
                    match = [n for n in names if n.lower().endswith("." + ext)]
                    if match:
                        parts[ext] = io.BytesIO(archive.read(match[0]))
            if "shp" not in parts or "dbf" not in parts:
                raise AreaFileError(path, ["the zip holds no .shp with its .dbf"])
            prj = parts.pop("prj", None)
            reader = shapefile.Reader(**parts)
            prj_text = prj.read().decode("utf-8", "replace") if prj else None
        else:
            reader = shapefile.Reader(str(path))
            prj_path = path.with_suffix(".prj")
            prj_text = prj_path.read_text() if prj_path.exists() else None
        with reader:
            records = [
                (dict(sr.record.as_dict()),
                 None if sr.shape.shapeType == shapefile.NULL else sr.shape.__geo_interface__)
                for sr in reader.iterShapeRecords()
            ]
    except (shapefile.ShapefileException, zipfile.BadZipFile, OSError, ValueError, struct.error) as error:
        if isinstance(error, AreaFileError):
            raise
        raise AreaFileError(path, [f"not a readable Shapefile: {error}"]) from None
    declared = parse_crs(prj_text, path) if prj_text else None
    return declared, records


def _clean(path, raw: Iterable, source: CRS, name_property) -> list[Feature]:
    transformer = None if source == WGS84 else Transformer.from_crs(source, WGS84, always_xy=True)
    features, problems = [], []
    for number, (properties, geometry) in enumerate(raw, start=1):
        feature = Feature(number, properties, None)
        label = feature.label(name_property)
        if not geometry or not geometry.get("coordinates"):
            problems.append(f"{label} has no geometry")
            continue
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(f"{label} is a {geometry.get('type')}, not a polygon")
            continue
        try:
            geom = shapely.force_2d(shape(geometry))  # heights mean nothing to a service area
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError) as error:
            problems.append(f"{label} has malformed coordinates: {error}")
            continue
        if transformer is not None:
            geom = shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
        minx, miny, maxx, maxy = geom.bounds if not geom.is_empty else (0, 0, 0, 0)
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or not np.isfinite(geom.bounds).all():
            problems.append(
                f"{label} has coordinates outside longitude/latitude ({minx:.1f}, {miny:.1f}); "
                "declare the file's coordinate reference system (--crs)"
            )
            continue
        if not geom.is_valid:
            feature.repaired = explain_validity(geom)
            geom = as_multipolygon(shapely.make_valid(geom))
        geom = as_multipolygon(geom)
        if geom.is_empty or geom.area == 0:
            problems.append(f"{label} has no area" + (f" ({feature.repaired})" if feature.repaired else ""))
            continue
        feature.geometry = geom
        features.append(feature)
    if problems:
        raise AreaFileError(path, problems)
    if not features:
        raise AreaFileError(path, ["the file holds no features"])
    return features
