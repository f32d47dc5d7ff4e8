"""The routing rule, as a pure function over the service areas that contain a point."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class RoutingError(ValueError):
    """A report that cannot be routed; the message is fit to show the citizen."""


class OutsideServiceArea(RoutingError):
    pass


class NotServedHere(RoutingError):
    pass


@dataclass(frozen=True)
class Candidate:
    """A service area containing the point: its department, its size, and whether it handles the category."""

    department_id: int
    area_m2: float
    handles: bool


class Reason(StrEnum):
    LOCAL = "local"  # the most specific area whose department handles the category
    FALLBACK = "fallback"  # no local department: the category's city-wide department


@dataclass(frozen=True)
class Route:
    department_id: int
    reason: Reason


def decide(candidates: Iterable[Candidate], fallback_department_id: int | None, category_name: str = "") -> Route:
    """Pick the department for a report from the areas containing its point."""
    candidates = list(candidates)
    if not candidates:
        raise OutsideServiceArea(_l("This place is outside the service area."))
    handling = [c for c in candidates if c.handles]
    if handling:
        best = min(handling, key=lambda c: (c.area_m2, c.department_id))
        return Route(best.department_id, Reason.LOCAL)
    if fallback_department_id is not None:
        return Route(fallback_department_id, Reason.FALLBACK)
    if category_name:
        raise NotServedHere(_l("“%(category)s” is not handled at this place.", category=category_name))
    raise NotServedHere(_l("This category is not handled at this place."))
