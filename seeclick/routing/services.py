"""Route a report to its department: one service for every channel (web, Open311, import)."""

from collections.abc import Sequence

from seeclick import dbapi
from seeclick.geo import LatLon
from seeclick.routing.decide import Candidate, NotServedHere, Route, RoutingError, decide
from seeclick.routing.queries import ROUTE_POINT


class UnknownCategory(RoutingError):
    pass


def route(category_id: int, where: LatLon) -> Route:
    """The department that should act on a report of this category at this place."""
    # Every report is routed, so this is a hot path: on the session's own connection (same
    # transaction) but through the DBAPI cursor, as SQLAlchemy's per-statement result set-up
    # costs more than the indexed lookup itself (bench/routing.py).
    return route_candidates(dbapi.rows(ROUTE_POINT, {"category_id": category_id, "lon": where.lon, "lat": where.lat}))


def route_candidates(rows: Sequence[Sequence]) -> Route:
    """The rule over the rows of route_candidates() (their first six columns; a caller may add more after)."""
    if not rows:
        raise UnknownCategory("There is no such category.")
    name, active, fallback = rows[0][:3]
    if not active:
        raise NotServedHere(f"“{name}” is no longer taken.")
    candidates = [Candidate(department, area, handles) for department, area, handles in (row[3:6] for row in rows)
                  if department]
    return decide(candidates, fallback, name)
