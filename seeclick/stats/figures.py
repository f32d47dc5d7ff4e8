"""How a figure is shown honestly: its interval, whether its sample is large enough, and its unit. Pure.

The sample rules follow the US National Center for Health Statistics' presentation standard: a
figure from fewer than 30 is not shown as a number, one from 30 to 59 is shown and flagged, so a
reader never mistakes a handful of reports for the truth about a department or a neighbourhood.
"""

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

HIDE_BELOW = 30  # a figure of fewer is not shown
FLAG_BELOW = 60  # a figure of fewer is flagged: read with care
Z95 = 1.959963984540054
TWO_DAYS = 2 * 86400


class Reliability(enum.StrEnum):
    TOO_FEW = "too_few"
    FLAGGED = "flagged"
    SOUND = "sound"


def reliability(sample: int) -> Reliability:
    if sample < HIDE_BELOW:
        return Reliability.TOO_FEW
    return Reliability.FLAGGED if sample < FLAG_BELOW else Reliability.SOUND


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a share (95% by default); None without trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


class Unit(enum.StrEnum):
    HOURS = "hours"
    DAYS = "days"

    @property
    def seconds(self) -> int:
        return 3600 if self is Unit.HOURS else 86400

    @property
    def label(self) -> str:
        return UNIT_LABELS[self]


UNIT_LABELS = {Unit.HOURS: _l("hours"), Unit.DAYS: _l("days")}


def unit_for(seconds: Iterable[float | None]) -> Unit:
    """One unit for a whole column: hours when every time in it is under two days, days otherwise."""
    known = [s for s in seconds if s is not None]
    return Unit.HOURS if known and max(known) < TWO_DAYS else Unit.DAYS


def in_unit(seconds: float | None, unit: Unit) -> str:
    """A time as a number in the column's unit: whole hours, or days to a tenth under ten days."""
    if seconds is None:
        return "—"
    value = max(seconds, 0) / unit.seconds
    if value < 1:
        return f"{value:.2f}"  # a few hours in a column of days: 0.08, not 0.1 or 0.0
    if unit is Unit.HOURS:
        return f"{value:.0f}"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


@dataclass(frozen=True)
class Score:
    """A period's target score in the style of Boston's CityScore: the on-time share over its goal (1 = met).

    Only once (nearly) every report of the period can be judged: while many are open and not yet due,
    the judged ones are the quick ones, and the share would flatter the period.
    """

    on_time: int
    judged: int
    goal: float
    pending: int = 0  # open and not yet due: not judged yet

    @property
    def settled(self) -> bool:
        return self.pending <= 0.1 * (self.judged + self.pending)

    @property
    def share(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def value(self) -> float | None:
        return None if self.share is None or not self.goal else self.share / self.goal

    @property
    def interval(self) -> tuple[float, float] | None:
        bounds = wilson(self.on_time, self.judged)
        return None if bounds is None or not self.goal else (bounds[0] / self.goal, bounds[1] / self.goal)

    @property
    def reliability(self) -> Reliability:
        return reliability(self.judged)
