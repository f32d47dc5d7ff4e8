"""Finding address points by what a person typed: every SELECT of the address table."""

from dataclasses import dataclass

from flask_babel import gettext as _

from seeclick import dbapi
from seeclick.addresses import words
from seeclick.addresses.models import Kind
from seeclick.geo import LatLon

SUGGESTIONS = 8
QUERY_LIMIT = 200  # characters of a query read; an address is shorter
CANDIDATES = 64  # matches ranked for one query that does not start an address, at most

# First the places whose words start with the query, in the order of the B-tree on `search` (collation
# "C", so that a start is a range of it, which the trigram index cannot answer and the planner does not
# take it for): what is typed from its start, a number then the street ("245 eastern p"), or a ZIP code or a
# neighbourhood's name. Only when those are fewer than the limit (the Append stops reading once the
# limit is met) the places that hold every word of the query, each from its start (the last one may
# be half typed), which the GIN trigram index answers; at most CANDIDATES of them are ranked by trigram
# similarity, then the shorter.
SEARCH = """
    (SELECT id, kind, label, postcode, city, ST_Y(point), ST_X(point) FROM address
     WHERE search >= %(start)s AND search < %(after)s ORDER BY search LIMIT %(limit)s)
    UNION ALL
    (SELECT id, kind, label, postcode, city, ST_Y(point), ST_X(point)
     FROM (SELECT id, kind, label, postcode, city, point, search FROM address
           WHERE {conditions} AND NOT (search >= %(start)s AND search < %(after)s) LIMIT {candidates}) found
     ORDER BY similarity(search, %(query)s) DESC, length(search), id LIMIT %(limit)s)
    LIMIT %(limit)s
"""


@dataclass(frozen=True)
class Found:
    id: int
    kind: Kind
    name: str  # the stored label: the address, or the ZIP code or neighbourhood and its borough
    postcode: str
    borough: str
    where: LatLon

    @property
    def approximate(self) -> bool:
        """A ZIP code area or a neighbourhood names a place only roughly; an address point names it."""
        return self.kind is not Kind.ADDRESS

    @property
    def choice(self) -> str:
        """How a result is named by its radio button: the city's place by its id, the geocoder's by its point."""
        return str(self.id) if self.id else f"at:{self.where.lat:.6f},{self.where.lon:.6f}:{self.name}"

    @property
    def label(self) -> str:
        """What the person reads in the suggestions, in their language."""
        if self.kind is Kind.POSTCODE:
            return _("ZIP code %(code)s, %(borough)s", code=self.postcode, borough=self.borough)
        if self.kind is Kind.NEIGHBOURHOOD:
            return _("%(name)s (neighbourhood)", name=self.name)
        return self.name


def statement(count: int) -> str:
    """The search for a query of `count` words."""
    conditions = " AND ".join(f"search LIKE %(word{i})s" for i in range(count))
    return SEARCH.format(conditions=conditions, candidates=CANDIDATES)


def parameters(query: str, typing: bool = True, limit: int = SUGGESTIONS) -> dict | None:
    """The statement's parameters for a query, or None when it has no words to search for."""
    found = words.patterns(query[:QUERY_LIMIT], typing=typing)
    if found is None:
        return None
    each, start, after = found
    values = {f"word{i}": pattern for i, pattern in enumerate(each)}
    values.update(start=start, after=after, query=words.search_text(query[:QUERY_LIMIT]), limit=limit)
    return values


def search(query: str, typing: bool = True, limit: int = SUGGESTIONS) -> list[Found]:
    """The places that hold every word of the query, best first; `typing`: its last word may be half typed."""
    values = parameters(query, typing, limit)
    if values is None:
        return []
    count = sum(1 for name in values if name.startswith("word"))
    return [Found(row[0], Kind(row[1]), row[2], row[3], row[4], LatLon(row[5], row[6]))
            for row in dbapi.rows(statement(count), values)]


def by_id(address_id: int) -> Found | None:
    row = dbapi.one("SELECT id, kind, label, postcode, city, ST_Y(point), ST_X(point) FROM address WHERE id = %(id)s",
                    {"id": address_id})
    return Found(row[0], Kind(row[1]), row[2], row[3], row[4], LatLon(row[5], row[6])) if row else None


def count() -> int:
    return dbapi.one("SELECT count(*) FROM address", {})[0]

