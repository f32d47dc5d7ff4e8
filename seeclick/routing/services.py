"""Route a report to its department: one service for every channel (web, Open311, import)."""

from seeclick.extensions import db
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
    db.session.flush()  # the raw cursor must see this session's pending changes, as a query would
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(ROUTE_POINT, {"category_id": category_id, "lon": where.lon, "lat": where.lat})
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        raise UnknownCategory("There is no such category.")
    name, active, fallback = rows[0][:3]
    if not active:
        raise NotServedHere(f"“{name}” is no longer taken.")
    candidates = [Candidate(department, area, handles) for *_, department, area, handles in rows if department]
    return decide(candidates, fallback, name)
