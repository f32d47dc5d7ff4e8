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
from seeclick.routing.services import UnknownCategory, route

__all__ = [
    "Candidate", "NotServedHere", "OutsideServiceArea", "Reason", "Route", "RoutingError", "UnknownCategory",
    "decide", "route",
]
