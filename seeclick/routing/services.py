"""Route a report to its department: the rule over the rows of route_candidates().

A new report, from any channel, reads those rows in the statement that makes it
(reports.queries.NEW_REPORT_AT) and calls route_candidates(); route() reads them for one point
in a statement of its own.
"""

from collections.abc import Sequence

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from seeclick import dbapi
from seeclick.geo import LatLon
from seeclick.routing.decide import Candidate, NotServedHere, Route, RoutingError, decide
from seeclick.routing.queries import ROUTE_POINT


class UnknownCategory(RoutingError):
    pass


def route(category_id: int, where: LatLon) -> Route:
    """The department that should act on a report of this category at this place."""
    # On the session's own connection (same transaction) but through the DBAPI cursor, as
    # SQLAlchemy's per-statement result set-up costs more than the indexed lookup itself
    # (bench/routing.py).
    return route_candidates(dbapi.rows(ROUTE_POINT, {"category_id": category_id, "lon": where.lon, "lat": where.lat}))


def route_candidates(rows: Sequence[Sequence]) -> Route:
    """The rule over the rows of route_candidates() (their first six columns; a caller may add more after)."""
    if not rows:
        raise UnknownCategory(_l("There is no such category."))
    name, active, fallback = rows[0][:3]
    if not active:
        raise NotServedHere(gettext("“%(category)s” is no longer taken.", category=name))
    candidates = [Candidate(department, area, handles) for department, area, handles in (row[3:6] for row in rows)
                  if department]
    return decide(candidates, fallback, name)
