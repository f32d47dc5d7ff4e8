"""Response times read from the rollups (materialized views refreshed every minute), never from raw reports."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from seeclick.extensions import db

# Below this many closed reports a group is shown but never ranked: a department that fixed one
# thing in four minutes is not the best department.
MINIMUM_TO_RANK = 30

@dataclass(frozen=True)
class Row:
    """One group's figures. Times are seconds; shares are 0..1 or None when there is nothing to judge."""

    dimension: str
    group_id: int
    reports: int
    acknowledged: int
    closed: int
    open: int
    ack_p50: float | None
    ack_p90: float | None
    close_p50: float | None
    close_p90: float | None
    on_time: int
    judged: int
    open_age_p50: float | None
    refreshed_at: datetime | None
    name: str = ""
    code: str = ""

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def reply_rate(self) -> float | None:
        return self.acknowledged / self.reports if self.reports else None

    @property
    def rankable(self) -> bool:
        return self.closed >= MINIMUM_TO_RANK


COLUMNS = ("dimension, group_id, reports, acknowledged, closed, open, ack_p50, ack_p90, close_p50, close_p90, "
           "on_time, judged, open_age_p50, refreshed_at")


def by(dimension: str) -> list[Row]:
    """Every group of a dimension, ranked ones first by median time to close, then the rest by size."""
    table = {"department": "department", "category": "category", "neighbourhood": "neighbourhood"}[dimension]
    rows = db.session.execute(text(
        f"SELECT {', '.join('s.' + c for c in COLUMNS.split(', '))}, g.name, g.code FROM response_stats s "
        f"JOIN {table} g ON g.id = s.group_id WHERE s.dimension = :dimension"), {"dimension": dimension}).all()
    found = [Row(*r[:14], name=r[14], code=r[15]) for r in rows]
    ranked = sorted((r for r in found if r.rankable), key=lambda r: (r.close_p50, r.name))
    unranked = sorted((r for r in found if not r.rankable), key=lambda r: (-r.reports, r.name))
    return ranked + unranked


def city() -> Row | None:
    row = db.session.execute(text(f"SELECT {COLUMNS} FROM response_stats WHERE dimension = 'city'")).first()
    return Row(*row, name="") if row else None


def one(dimension: str, group_id: int) -> Row | None:
    row = db.session.execute(text(f"SELECT {COLUMNS} FROM response_stats WHERE dimension = :d AND group_id = :g"),
                             {"d": dimension, "g": group_id}).first()
    return Row(*row, name="") if row else None


@dataclass(frozen=True)
class Week:
    week: datetime
    reports: int
    closed: int
    open: int
    close_p50: float | None
    ack_p50: float | None

    @property
    def settled(self) -> bool:
        """Few enough still open that the week's median is not flattered by the slow ones missing."""
        return self.reports > 0 and self.closed >= 5 and self.open <= self.reports / 5


def weekly(department_id: int = 0, weeks: int = 26) -> list[Week]:
    """The last weeks' median times, for reports made in each week (department 0: the whole city)."""
    rows = db.session.execute(text(
        "SELECT week, reports, closed, open, close_p50, ack_p50 FROM response_weekly "
        "WHERE department_id = :department ORDER BY week DESC LIMIT :weeks"),
        {"department": department_id, "weeks": weeks}).all()
    return [Week(*r) for r in reversed(rows)]


def refresh() -> None:
    """Bring the rollups up to date (readers keep the previous figures meanwhile)."""
    db.session.execute(text("REFRESH MATERIALIZED VIEW CONCURRENTLY response_stats"))
    db.session.execute(text("REFRESH MATERIALIZED VIEW CONCURRENTLY response_weekly"))
