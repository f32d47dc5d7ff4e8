"""Read address points from an OpenAddresses CSV or GeoJSON file (plain or gzipped). Pure, no database.

OpenAddresses CSV has the columns LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH;
its GeoJSON has Point features whose properties are the same names in lower case, either as one
FeatureCollection or one feature a line (GeoJSON+LD). Every bad line is collected with its line
number and raised together, so that a person can fix the file in one pass; nothing is half-read.
"""

import csv
import gzip
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("number", "street", "unit", "city", "district", "region", "postcode", "id")
FIELD_LIMIT = 200
CSV_REQUIRED = ("LON", "LAT", "STREET")
PROBLEMS_SHOWN = 20


class AddressFileError(ValueError):
    """A file that cannot be imported; the message names every bad line (the first 20 of them)."""

    def __init__(self, path, problems: list[str]):
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems[:PROBLEMS_SHOWN])
        more = f"\n  ... and {len(problems) - PROBLEMS_SHOWN} more" if len(problems) > PROBLEMS_SHOWN else ""
        super().__init__(f"{path}: cannot import:\n{listed}{more}")


@dataclass(frozen=True)
class AddressRow:
    lon: float
    lat: float
    number: str
    street: str
    unit: str = ""
    city: str = ""
    district: str = ""
    region: str = ""
    postcode: str = ""
    id: str = ""


def read(path: str | Path) -> list[AddressRow]:
    """Every address of the file, or AddressFileError naming each bad line."""
    rows, problems = [], []
    for line, row in _rows(Path(path)):
        try:
            rows.append(_checked(row))
        except ValueError as error:
            problems.append(f"{line}: {error}")
    if problems:
        raise AddressFileError(path, problems)
    if not rows:
        raise AddressFileError(path, ["the file holds no addresses"])
    return rows


def _open(path: Path):
    try:
        with open(path, "rb") as probe:
            gzipped = probe.read(2) == b"\x1f\x8b"
        raw = gzip.open(path, "rb") if gzipped else open(path, "rb")
    except OSError as error:
        raise AddressFileError(path, [error.strerror or str(error)]) from None
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _rows(path: Path) -> Iterator[tuple[str, dict]]:
    with _open(path) as text:
        try:
            start = text.read(4096)
        except UnicodeDecodeError:
            raise AddressFileError(path, ["it is not UTF-8 text (an OpenAddresses CSV or GeoJSON file)"]) from None
        text.seek(0)
        try:
            if not start.lstrip().startswith("{"):
                yield from _csv(path, text)
            elif _one_feature(start.lstrip().split("\n", 1)[0]):
                yield from _lines(text)
            else:
                yield from _collection(path, text)
        except UnicodeDecodeError as error:
            raise AddressFileError(path, [f"it is not UTF-8 text past byte {error.start}"]) from None


def _csv(path: Path, text) -> Iterator[tuple[str, dict]]:
    reader = csv.reader(text)
    header = [name.strip().upper() for name in next(reader, [])]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise AddressFileError(path, [f"line 1: the header has no {', '.join(missing)} column (OpenAddresses CSV "
                                      f"has LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH)"])
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            line = f"line {reader.line_num}"
            if len(values) != len(header):
                yield line, {"_error": f"{len(values)} values where the header has {len(header)}"}
                continue
            yield line, {name.lower(): value for name, value in zip(header, values, strict=True)}
    except csv.Error as error:
        raise AddressFileError(path, [f"line {reader.line_num}: {error}"]) from None


def _feature(feature) -> dict:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return {"_error": "not a GeoJSON Feature"}
    geometry = feature.get("geometry") or {}
    if geometry.get("type") != "Point" or not isinstance(geometry.get("coordinates"), list) \
            or len(geometry["coordinates"]) < 2:
        return {"_error": "its geometry is not a Point"}
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return {"_error": "its properties are not an object"}
    row = {name: properties.get(name) for name in FIELDS}
    row["lon"], row["lat"] = geometry["coordinates"][:2]
    return row


def _one_feature(line: str) -> bool:
    """Whether the first line is a whole Feature: the file is GeoJSON+LD, one feature a line."""
    try:
        return json.loads(line).get("type") == "Feature"
    except (json.JSONDecodeError, AttributeError):
        return False


def _lines(text) -> Iterator[tuple[str, dict]]:
    for line, content in enumerate(text, start=1):
        if not content.strip():
            continue
        try:
            yield f"line {line}", _feature(json.loads(content))
        except json.JSONDecodeError as error:
            yield f"line {line}", {"_error": f"not JSON ({error.msg})"}


def _collection(path: Path, text) -> Iterator[tuple[str, dict]]:
    try:
        data = json.load(text)
    except json.JSONDecodeError as error:
        raise AddressFileError(path, [f"line {error.lineno}: not JSON ({error.msg})"]) from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise AddressFileError(path, ["a FeatureCollection without a list of features"])
    for number, feature in enumerate(features, start=1):
        yield f"feature {number}", _feature(feature)


def _text(row: dict, name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{name.upper()} is not text")
    value = " ".join(value.split())
    if "\x00" in value:
        raise ValueError(f"{name.upper()} holds a NUL character")
    if len(value) > FIELD_LIMIT:
        raise ValueError(f"{name.upper()} is longer than {FIELD_LIMIT} characters")
    return value


def _degrees(row: dict, name: str, limit: float) -> float:
    value = row.get(name)
    try:
        degrees = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name.upper()} {value!r} is not a number of degrees") from None
    if not math.isfinite(degrees) or abs(degrees) > limit:
        raise ValueError(f"{name.upper()} {value!r} is not between -{limit:g} and {limit:g}")
    return degrees


def _checked(row: dict) -> AddressRow:
    if "_error" in row:
        raise ValueError(row["_error"])
    lon, lat = _degrees(row, "lon", 180), _degrees(row, "lat", 90)
    values = {name: _text(row, name) for name in FIELDS}
    if not values["street"]:
        raise ValueError("STREET is empty")
    return AddressRow(lon=lon, lat=lat, **values)
