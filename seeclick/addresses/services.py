"""Changes to the address points: an import by COPY in the caller's transaction. Flush, never commit."""

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text

from seeclick.addresses import words
from seeclick.addresses.models import Kind
from seeclick.addresses.readers import AddressRow
from seeclick.extensions import db

COLUMNS = ("kind", "number", "street", "unit", "city", "district", "region", "postcode", "source_id", "label",
           "search", "point")
INDEXES = {
    "ix_address_search": "CREATE INDEX ix_address_search ON address USING gin (search gin_trgm_ops)",
    "ix_address_search_start": "CREATE INDEX ix_address_search_start ON address (search)",
}


@dataclass(frozen=True)
class Place:
    """A point found by name rather than by number and street: a ZIP code area or a neighbourhood."""

    kind: Kind
    name: str  # the ZIP code, or the neighbourhood's name
    borough: str
    lon: float
    lat: float


def label_of(row: AddressRow) -> str:
    """The address as a person reads it: "245 Eastern Parkway, Brooklyn 11238"."""
    street = " ".join(filter(None, (row.number, words.display(row.street))))
    if row.unit:
        street += f" #{row.unit}"
    where = " ".join(filter(None, (words.display(row.city or row.district), row.postcode)))
    return ", ".join(filter(None, (street, where)))


def _line(values: Iterable[str]) -> str:
    """One COPY text line: tabs, newlines and backslashes escaped."""
    return "\t".join(v.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")
                     for v in values) + "\n"


def _address_lines(rows: Iterable[AddressRow]) -> Iterable[str]:
    for row in rows:
        yield _line((Kind.ADDRESS.value, row.number, row.street, row.unit, row.city, row.district, row.region,
                     row.postcode, row.id, label_of(row),
                     words.search_text(row.number, row.street, row.unit, row.city, row.district, row.postcode),
                     f"SRID=4326;POINT({row.lon!r} {row.lat!r})"))


def _place_lines(places: Iterable[Place]) -> Iterable[str]:
    for place in places:
        postcode = place.name if place.kind is Kind.POSTCODE else ""
        # The name first, so that typing it finds it by the start of its words, as an address by its number.
        search = words.search_text(place.name, "zip" if postcode else "", place.borough)
        yield _line((place.kind.value, "", "", "", place.borough, "", "", postcode, "",
                     f"{place.name}, {place.borough}" if place.borough else place.name, search,
                     f"SRID=4326;POINT({place.lon!r} {place.lat!r})"))


def import_addresses(rows: list[AddressRow], replace: bool = False) -> int:
    """Add the address points (replacing the city's addresses first with `replace`); how many are held now.

    A batch as large as the table is loaded with its search indexes dropped and built again after
    the COPY, all in the caller's transaction: building a GIN index once is much faster than
    growing it row by row, and other sessions wait on the table until it commits.
    """
    return _copy(_address_lines(rows), len(rows), Kind.ADDRESS if replace else None)


def import_places(places: list[Place], replace: bool = True) -> int:
    """Add ZIP code areas and neighbourhoods as points to find by name (replacing the earlier ones)."""
    return _copy(_place_lines(places), len(places), {p.kind for p in places} if replace else None)


def _copy(lines: Iterable[str], count: int, replacing) -> int:
    db.session.flush()
    kinds = [replacing.value] if isinstance(replacing, Kind) else sorted(k.value for k in replacing or ())
    if kinds:
        db.session.execute(text("DELETE FROM address WHERE kind = ANY(:kinds)"), {"kinds": kinds})
    held = db.session.execute(text("SELECT count(*) FROM address")).scalar_one()
    rebuild = count >= held
    if rebuild:
        for name in INDEXES:
            db.session.execute(text(f"DROP INDEX IF EXISTS {name}"))
    raw = db.session.connection().connection.dbapi_connection
    with tempfile.SpooledTemporaryFile(max_size=64 << 20, mode="w+", encoding="utf-8") as buffer:
        buffer.writelines(lines)
        buffer.seek(0)
        with raw.cursor() as cur:
            cur.copy_expert(f"COPY address ({', '.join(COLUMNS)}) FROM STDIN", buffer)
    if rebuild:
        for statement in INDEXES.values():
            db.session.execute(text(statement))
    db.session.execute(text("ANALYZE address"))
    return db.session.execute(text("SELECT count(*) FROM address")).scalar_one()


def clear() -> None:
    """Remove every address point (the demo city replaced)."""
    db.session.execute(text("DELETE FROM address"))


