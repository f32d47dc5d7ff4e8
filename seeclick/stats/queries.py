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
    answered: int = 0  # closed as fixed, and the reporter (or a follower) answered "was it fixed?"
    confirmed: int = 0  # ... and said it was
    reopened: int = 0  # reopened at least once
    close_mean: float | None = None  # mean time to close of the closed reports
    km_p50: float | None = None  # Kaplan-Meier median time to close, open reports censored
    km_p50_low: float | None = None  # its 95% interval; None: not reached yet
    km_p50_high: float | None = None
    km_p90: float | None = None
    name: str = ""
    code: str = ""
    population: int | None = None

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

    @property
    def confirmed_share(self) -> float | None:
        """Of the reports closed as fixed whose reporter answered, the share who said it was fixed."""
        return self.confirmed / self.answered if self.answered else None

    @property
    def close_rate(self) -> float | None:
        """Reports closed (not as duplicates) of all reports made."""
        return self.closed / self.reports if self.reports else None

    @property
    def per_thousand(self) -> float | None:
        """Reports a year per 1,000 residents, where the population is known."""
        return self.reports * 1000 / self.population if self.population else None


# The median open age is read as of the fold, like every other figure.
COLUMNS = """r.dimension, r.group_id, r.reports, r.acknowledged, r.closed, r.open, r.ack_p50, r.ack_p90,
    r.close_p50, r.close_p90, r.on_time, r.judged, date_part('epoch', s.folded_at) - r.open_created_p50, s.folded_at,
    r.answered, r.confirmed, r.reopened, r.close_mean, r.km_p50, r.km_p50_low, r.km_p50_high, r.km_p90"""
WIDTH = 22  # how many columns COLUMNS reads
FROM = "stats_result r CROSS JOIN stats_state s"


def by(dimension: str) -> list[Row]:
    """Every group of a dimension, ranked ones first by median time to close, then the rest by size."""
    table = {"department": "department", "category": "category", "neighbourhood": "neighbourhood"}[dimension]
    population = "g.population" if dimension == "neighbourhood" else "NULL"
    rows = db.session.execute(text(
        f"SELECT {COLUMNS}, g.name, g.code, {population} FROM {FROM} JOIN {table} g ON g.id = r.group_id "
        "WHERE r.dimension = :dimension"), {"dimension": dimension}).all()
    found = [Row(*r[:WIDTH], name=r[WIDTH], code=r[WIDTH + 1], population=r[WIDTH + 2]) for r in rows]
    # Ranked by the Kaplan-Meier median, which counts the slow reports still open; then by the closed ones'.
    ranked = sorted((r for r in found if r.rankable),
                    key=lambda r: (r.km_p50 is None, r.km_p50 or 0, r.close_p50 or 0, r.name))
    unranked = sorted((r for r in found if not r.rankable), key=lambda r: (-r.reports, r.name))
    return ranked + unranked


def city() -> Row | None:
    return one("city", 0)


def one(dimension: str, group_id: int) -> Row | None:
    population = ("(SELECT population FROM neighbourhood WHERE id = r.group_id)" if dimension == "neighbourhood"
                  else "NULL")
    row = db.session.execute(text(f"SELECT {COLUMNS}, {population} FROM {FROM} "
                                  "WHERE r.dimension = :d AND r.group_id = :g"),
                             {"d": dimension, "g": group_id}).first()
    return Row(*row[:WIDTH], population=row[WIDTH]) if row else None


def folded_at() -> datetime | None:
    """When the figures were last brought up to date."""
    return db.session.execute(text("SELECT folded_at FROM stats_state")).scalar()


@dataclass(frozen=True)
class Period:
    """The reports made in one week (Monday to Sunday, UTC) or month, in the whole city."""

    start: date
    reports: int
    closed: int
    open: int
    close_p50: float | None
    ack_p50: float | None
    on_time: int
    judged: int
    km_p50: float | None
    km_p50_low: float | None
    km_p50_high: float | None

    @property
    def week(self) -> date:
        return self.start

    @property
    def settled(self) -> bool:
        """Few enough still open that the median of the closed ones is not flattered by the slow ones missing."""
        return self.reports > 0 and self.closed >= 5 and self.open <= self.reports / 5

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


Week = Period
PERIOD_COLUMNS = "group_id, reports, closed, open, close_p50, ack_p50, on_time, judged, km_p50, km_p50_low, km_p50_high"


def weekly(weeks: int = 26) -> list[Period]:
    """The last weeks' figures in the whole city, for reports made in each week (Monday to Sunday, UTC)."""
    rows = db.session.execute(text(
        f"SELECT {PERIOD_COLUMNS} FROM stats_result "
        "WHERE dimension = 'week' ORDER BY group_id DESC LIMIT :weeks"), {"weeks": weeks}).all()
    return [Period(WEEK_ZERO + timedelta(days=r[0]), *r[1:]) for r in reversed(rows)]


def monthly(months: int = 13) -> list[Period]:
    """The last months' figures in the whole city, for reports made in each month (UTC)."""
    rows = db.session.execute(text(
        f"SELECT {PERIOD_COLUMNS} FROM stats_result "
        "WHERE dimension = 'month' ORDER BY group_id DESC LIMIT :months"), {"months": months}).all()
    return [Period(date(1970 + r[0] // 12, r[0] % 12 + 1, 1), *r[1:]) for r in reversed(rows)]


def top_categories(neighbourhood_id: int, limit: int = 5) -> list:
    """What is reported most in a neighbourhood in the last 365 days: (category name, reports)."""
    return db.session.execute(text(
        "SELECT c.name, sum(s.reports)::int AS reports FROM stats_neighbourhood_category s "
        "JOIN category c ON c.id = s.category_id WHERE s.neighbourhood_id = :n "
        "GROUP BY c.name ORDER BY reports DESC, c.name LIMIT :limit"),
        {"n": neighbourhood_id, "limit": limit}).all()


@dataclass(frozen=True)
class Target:
    category: str
    sla_hours: int
    changed_at: datetime
    changed_by: str | None


def target_history() -> list[Target]:
    """Every target to close each category has had, newest first, with who set it (None: not recorded)."""
    rows = db.session.execute(text(
        "SELECT c.name, t.sla_hours, t.changed_at, coalesce(nullif(u.name, ''), u.email) FROM target_history t "
        "JOIN category c ON c.id = t.category_id LEFT JOIN user_account u ON u.id = t.changed_by_id "
        "ORDER BY c.name, t.changed_at DESC, t.id DESC")).all()
    return [Target(*r) for r in rows]
