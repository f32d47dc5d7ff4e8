"""Route a report to its department: one service for every channel (web, Open311, import)."""

from seeclick.extensions import db
from seeclick.geo import LatLon
from seeclick.routing.decide import Candidate, NotServedHere, Route, RoutingError, decide
from seeclick.routing.queries import ROUTE_POINT


class UnknownCategory(RoutingError):
    pass


def route(category_id: int, where: LatLon) -> Route:
    """The department that should act on a report of this category at this place."""
    rows = db.session.execute(ROUTE_POINT, {"category_id": category_id, "lon": where.lon, "lat": where.lat}).all()
    if not rows:
        raise UnknownCategory("There is no such category.")
    name, active, fallback = rows[0][0], rows[0][1], rows[0][2]
    if not active:
        raise NotServedHere(f"“{name}” is no longer taken.")
    candidates = [Candidate(r.department_id, r.area_m2, r.handles) for r in rows if r.department_id is not None]
    return decide(candidates, fallback, name)
