"""Routing: (category, point) -> department."""

from seeclick.routing.decide import (
    Candidate,
    NotServedHere,
    OutsideServiceArea,
    Reason,
    Route,
    RoutingError,
    decide,
)
from seeclick.routing.services import UnknownCategory, route, route_candidates

__all__ = [
    "Candidate", "NotServedHere", "OutsideServiceArea", "Reason", "Route", "RoutingError", "UnknownCategory",
    "decide", "route", "route_candidates",
]
