"""Response times read from the rollups (stats.services keeps them current), never from raw reports."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text

from seeclick.extensions import db

# Below this many closed reports a group is shown but never ranked: a department that fixed one
# thing in four minutes is not the best department.
MINIMUM_TO_RANK = 30
WEEK_ZERO = date(1970, 1, 1)  # a week's group_id is the days from this date to its Monday


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
        """Reports that got an answer from staff: acknowledged_at is set by the first answer of any kind."""
        return self.acknowledged / self.reports if self.reports else None

    @property
    def rankable(self) -> bool:
        return self.closed >= MINIMUM_TO_RANK


# The median open age is read as of the fold, like every other figure.
COLUMNS = """r.dimension, r.group_id, r.reports, r.acknowledged, r.closed, r.open, r.ack_p50, r.ack_p90,
    r.close_p50, r.close_p90, r.on_time, r.judged, date_part('epoch', s.folded_at) - r.open_created_p50, s.folded_at"""
FROM = "stats_result r CROSS JOIN stats_state s"


def by(dimension: str) -> list[Row]:
    """Every group of a dimension, ranked ones first by median time to close, then the rest by size."""
    table = {"department": "department", "category": "category", "neighbourhood": "neighbourhood"}[dimension]
    rows = db.session.execute(text(
        f"SELECT {COLUMNS}, g.name, g.code FROM {FROM} JOIN {table} g ON g.id = r.group_id "
        "WHERE r.dimension = :dimension"), {"dimension": dimension}).all()
    found = [Row(*r[:14], name=r[14], code=r[15]) for r in rows]
    ranked = sorted((r for r in found if r.rankable), key=lambda r: (r.close_p50, r.name))
    unranked = sorted((r for r in found if not r.rankable), key=lambda r: (-r.reports, r.name))
    return ranked + unranked


def city() -> Row | None:
    return one("city", 0)


def one(dimension: str, group_id: int) -> Row | None:
    row = db.session.execute(text(f"SELECT {COLUMNS} FROM {FROM} WHERE r.dimension = :d AND r.group_id = :g"),
                             {"d": dimension, "g": group_id}).first()
    return Row(*row) if row else None


def folded_at() -> datetime | None:
    """When the figures were last brought up to date."""
    return db.session.execute(text("SELECT folded_at FROM stats_state")).scalar()


@dataclass(frozen=True)
class Week:
    week: date
    reports: int
    closed: int
    open: int
    close_p50: float | None
    ack_p50: float | None

    @property
    def settled(self) -> bool:
        """Few enough still open that the week's median is not flattered by the slow ones missing."""
        return self.reports > 0 and self.closed >= 5 and self.open <= self.reports / 5


def weekly(weeks: int = 26) -> list[Week]:
    """The last weeks' median times in the whole city, for reports made in each week (Monday to Sunday, UTC)."""
    rows = db.session.execute(text(
        "SELECT group_id, reports, closed, open, close_p50, ack_p50 FROM stats_result "
        "WHERE dimension = 'week' ORDER BY group_id DESC LIMIT :weeks"), {"weeks": weeks}).all()
    return [Week(WEEK_ZERO + timedelta(days=r[0]), *r[1:]) for r in reversed(rows)]


def top_categories(neighbourhood_id: int, limit: int = 5) -> list:
    """What is reported most in a neighbourhood in the last 365 days: (category name, reports)."""
    return db.session.execute(text(
        "SELECT c.name, sum(s.reports)::int AS reports FROM stats_neighbourhood_category s "
        "JOIN category c ON c.id = s.category_id WHERE s.neighbourhood_id = :n "
        "GROUP BY c.name ORDER BY reports DESC, c.name LIMIT :limit"),
        {"n": neighbourhood_id, "limit": limit}).all()
