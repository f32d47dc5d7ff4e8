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
from flask_babel import gettext as _
from pyproj import CRS, Proj, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_crs_info
from pyproj.enums import PJType
from pyproj.exceptions import CRSError, ProjError
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
        more = "\n  " + _("... and %(count)d more", count=len(problems) - 20) if len(problems) > 20 else ""
        super().__init__(_("%(path)s: cannot import:", path=path) + f"\n{listed}{more}")


@dataclass
class Feature:
    number: int  # 1-based position in the file, as a person counts
    properties: dict
    geometry: object  # a Shapely MultiPolygon in EPSG:4326
    repaired: str | None = None  # why the geometry had to be repaired, if it was

    def label(self, name_property=None) -> str:
        name = self.properties.get(name_property) if name_property else None
        return _("feature %(number)d", number=self.number) + (f" ({name_property}={name})" if name is not None else "")


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
        raise AreaFileError(where, [_("unknown coordinate reference system %(crs)r: %(error)s", crs=text,
                                      error=error)]) from None


# A file whose features land farther than this from the city's expected extent was read in the wrong CRS.
MARGIN_DEGREES = 0.5  # about 40-55 km at the latitudes cities are at


def read(path, crs: str | None = None, name_property: str | None = None,
         expected: tuple[float, float, float, float] | None = None,
         properties: dict[str, str | None] | None = None) -> AreaFile:
    """Read a .geojson/.json/.topojson (optionally .gz), .shp or zipped Shapefile; crs is used when the file
    declares none.

    `expected` is the city's extent (min lon, min lat, max lon, max lat): a file that lands away from it
    once reprojected was read in the wrong CRS, and is refused with the CRS that was used and the one
    that puts it on the city. Each of `properties` (an option's name and the property it names, the
    name property among them) must be a property of the file's features; if not, their names are listed.
    """
    path = Path(path)
    if not path.exists():
        raise AreaFileError(path, [_("no such file")])
    suffixes = "".join(path.suffixes[-2:]).lower()
    if suffixes.endswith((".geojson", ".json", ".topojson", ".geojson.gz", ".json.gz", ".topojson.gz")):
        declared, raw = _read_geojson(path)
    elif suffixes.endswith((".shp", ".zip")):
        declared, raw = _read_shapefile(path)
    else:
        raise AreaFileError(path, [_("unknown format: expected .geojson, .json, .topojson, .shp or .zip (a zipped "
                                     "Shapefile)")])
    _check_properties(path, raw, {"--name-property": name_property, **(properties or {})})

    if declared is not None and crs is not None and parse_crs(crs, path) != declared:
        raise AreaFileError(path, [_("the file declares %(declared)s but %(asked)s was asked for",
                                     declared=declared.to_string(), asked=crs)])
    if declared is None and crs is None and path.suffix.lower() in (".shp", ".zip"):
        raise AreaFileError(path, [_("the Shapefile has no .prj; give its coordinate reference system "
                                     "(--crs EPSG:NNNN)")])
    source = declared or (parse_crs(crs, path) if crs else WGS84)  # GeoJSON without `crs` is WGS 84
    features, raw_bounds = _clean(path, raw, source, name_property)
    if expected is not None:
        _check_place(path, features, raw_bounds, source, expected, declared is not None)
    return AreaFile(path, source, features)


def _check_properties(path, raw: list, wanted: dict[str, str | None]) -> None:
    """Each property an option names is a property of the features (a misspelt one would name nothing)."""
    present = set().union(*(properties.keys() for properties, _ in raw)) if raw else set()
    problems = [_("%(option)s %(name)r is not a property of this file's features; they have: %(present)s",
                  option=option, name=name, present=", ".join(sorted(map(str, present))) or _("no properties at all"))
                for option, name in wanted.items() if name and name not in present]
    if problems:
        raise AreaFileError(path, problems)


def _bounds_of(features) -> tuple[float, float, float, float]:
    boxes = np.array([f.geometry.bounds for f in features])
    return boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()


def _overlaps(box, other, margin=0.0) -> bool:
    return not (box[2] < other[0] - margin or box[0] > other[2] + margin or
                box[3] < other[1] - margin or box[1] > other[3] + margin)


def _check_place(path, features, raw_bounds, source: CRS, expected, declared: bool) -> None:
    """Refuse a file that lands away from the city: it was read in the wrong CRS; say which one is likely."""
    landed = _bounds_of(features)
    if _overlaps(landed, expected, MARGIN_DEGREES):
        return
    centre = ((landed[0] + landed[2]) / 2, (landed[1] + landed[3]) / 2)
    city = ((expected[0] + expected[2]) / 2, (expected[1] + expected[3]) / 2)
    km = _geod_km(centre, city)
    likely = likely_crs(raw_bounds, expected, source)
    where = _("its .prj or its crs member") if declared else "--crs"
    if likely:
        advice = _("it is probably in %(crs)s; ", crs=likely[0])
        if likely[1:]:
            advice += _("(or %(others)s); ", others=", ".join(likely[1:]))
        advice += _("correct %(where)s", where=where)
    else:
        advice = _("check %(where)s: no CRS puts it on the city", where=where)
    raise AreaFileError(path, [_(
        "read in %(crs)s, the file lands around (%(lon).3f, %(lat).3f), %(km)s km from the city's areas "
        "(%(west).2f, %(south).2f to %(east).2f, %(north).2f): %(advice)s", crs=_crs_name(source), lon=centre[0],
        lat=centre[1], km=f"{km:,.0f}", west=expected[0], south=expected[1], east=expected[2], north=expected[3],
        advice=advice)])


def _crs_name(crs: CRS) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def _geod_km(a, b) -> float:
    from pyproj import Geod

    return Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2] / 1000


def likely_crs(raw_bounds, expected, used: CRS, limit: int = 3) -> list[str]:
    """The CRSs (EPSG, in use over some of the city) that put the file's own coordinates inside the city's extent,
    most likely first: the names closest to the one used (a sibling in other units or datum), then the lower code.

    Each projected candidate is inverted by its projection alone (pyproj.Proj): a datum shift is metres, and
    this is a question of hundreds of kilometres; it keeps the search to a second for a city's few hundred.
    """
    minx, miny, maxx, maxy = raw_bounds
    corners = (np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy]))
    inside = lambda box: (expected[0] - 0.1 <= box[0] and box[2] <= expected[2] + 0.1  # noqa: E731
                          and expected[1] - 0.1 <= box[1] and box[3] <= expected[3] + 0.1)
    found = []
    if used != WGS84 and inside(raw_bounds):  # degrees already: it was never projected
        found.append((-1.0, SRID, f"EPSG:{SRID} ({WGS84.name})"))
    used_words = set(used.name.lower().replace("(", " ").replace(")", " ").split())
    for info in query_crs_info(auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS],
                               area_of_interest=AreaOfInterest(*expected), contains=False):
        if info.deprecated or int(info.code) == used.to_epsg():
            continue
        try:
            lon, lat = Proj(f"EPSG:{info.code}")(*corners, inverse=True, errcheck=True)
        except (CRSError, ProjError, ValueError, RuntimeError):
            continue
        box = (lon.min(), lat.min(), lon.max(), lat.max())
        if not (np.isfinite(box).all() and inside(box)):
            continue
        words = set(info.name.lower().replace("(", " ").replace(")", " ").split())
        likeness = len(words & used_words) / len(words | used_words)
        found.append((-likeness, int(info.code), f"EPSG:{info.code} ({info.name})"))
    return [name for *_, name in sorted(found)[:limit]]


def _read_geojson(path):
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AreaFileError(path, [_("not readable GeoJSON: %(error)s", error=error)]) from None
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature", "Topology"):
        raise AreaFileError(path, [_("not a GeoJSON FeatureCollection, nor a TopoJSON Topology")])
    declared = None
    name = (data.get("crs") or {}).get("properties", {}).get("name")
    if name:
        declared = parse_crs(name, path)
    if data["type"] == "Topology":
        return declared, _topojson_features(path, data)
    features = data.get("features") if data["type"] == "FeatureCollection" else [data]
    if not isinstance(features, list):
        raise AreaFileError(path, [_("the FeatureCollection has no features list")])
    return declared, [(f.get("properties") or {}, f.get("geometry")) for f in features if isinstance(f, dict)]


def _topojson_features(path, data) -> list[tuple[dict, dict | None]]:
    """A TopoJSON Topology's objects as (properties, GeoJSON geometry): the shared arcs joined back into rings.

    Arcs are delta-encoded when the topology is quantized (`transform`); a negative index ~i is arc i
    reversed, and consecutive arcs of a ring share their joining point.
    """
    try:
        transform = data.get("transform")
        scale, shift = (transform["scale"], transform["translate"]) if transform else ((1, 1), (0, 0))
        arcs = []
        for arc in data.get("arcs") or []:
            if transform:
                points = np.cumsum(np.array([p[:2] for p in arc], dtype=float), axis=0)
                arcs.append((points * scale + shift).tolist())
            else:
                arcs.append([p[:2] for p in arc])

        def ring(indexes):
            points = []
            for index in indexes:
                part = arcs[index] if index >= 0 else arcs[~index][::-1]
                points.extend(part if not points else part[1:])
            return points

        def geometry(item):
            kind = item.get("type")
            if kind == "Polygon":
                return {"type": "Polygon", "coordinates": [ring(r) for r in item["arcs"]]}
            if kind == "MultiPolygon":
                return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in poly] for poly in item["arcs"]]}
            return {"type": kind, "coordinates": item.get("coordinates") or item.get("arcs")} if kind else None

        found = []
        for item in (data.get("objects") or {}).values():
            for member in item.get("geometries", []) if item.get("type") == "GeometryCollection" else [item]:
                found.append((member.get("properties") or {}, geometry(member)))
        return found
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        raise AreaFileError(path, [_("not a readable TopoJSON Topology: %(error)s",
                                     error=f"{type(error).__name__}: {error}")]) from None


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
                raise AreaFileError(path, [_("the zip holds no .shp with its .dbf")])
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
        raise AreaFileError(path, [_("not a readable Shapefile: %(error)s", error=error)]) from None
    declared = parse_crs(prj_text, path) if prj_text else None
    return declared, records


def _clean(path, raw: Iterable, source: CRS, name_property) -> tuple[list[Feature], tuple]:
    """The features reprojected to EPSG:4326, and the bounds of their coordinates as the file has them."""
    transformer = None if source == WGS84 else Transformer.from_crs(source, WGS84, always_xy=True)
    features, problems, boxes = [], [], []
    for number, (properties, geometry) in enumerate(raw, start=1):
        feature = Feature(number, properties, None)
        label = feature.label(name_property)
        if not geometry or not geometry.get("coordinates"):
            problems.append(_("%(feature)s has no geometry", feature=label))
            continue
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(_("%(feature)s is a %(kind)s, not a polygon", feature=label, kind=geometry.get("type")))
            continue
        try:
            geom = shapely.force_2d(shape(geometry))  # heights mean nothing to a service area
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError) as error:
            problems.append(_("%(feature)s has malformed coordinates: %(error)s", feature=label, error=error))
            continue
        if not geom.is_empty:
            boxes.append(geom.bounds)
        if transformer is not None:
            geom = shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
        minx, miny, maxx, maxy = geom.bounds if not geom.is_empty else (0, 0, 0, 0)
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or not np.isfinite(geom.bounds).all():
            problems.append(_("%(feature)s has coordinates outside longitude/latitude (%(x).1f, %(y).1f); declare the "
                              "file's coordinate reference system (--crs)", feature=label, x=minx, y=miny))
            continue
        if not geom.is_valid:
            feature.repaired = explain_validity(geom)
            geom = as_multipolygon(shapely.make_valid(geom))
        geom = as_multipolygon(geom)
        if geom.is_empty or geom.area == 0:
            problems.append(_("%(feature)s has no area", feature=label)
                            + (f" ({feature.repaired})" if feature.repaired else ""))
            continue
        feature.geometry = geom
        features.append(feature)
    if problems:
        raise AreaFileError(path, problems)
    if not features:
        raise AreaFileError(path, [_("the file holds no features")])
    boxes = np.array(boxes)
    return features, (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
