"""Reads for the staff pages: a department's queue and a ticket with its whole timeline."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, literal, select
from sqlalchemy.orm import joinedload

from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.moderation.models import Flag, Reason
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.reports.models import Report, Status, Update

PAGE_SIZE = 50
# The queue's count stops here (or at the end of a deeper page): past 200 pages the exact figure
# tells a dispatcher nothing a filter would not, and counting on costs a read of every matching
# entry, which grows with the department's whole open queue. The page says "more than" honestly.
COUNT_LIMIT = 10_000
MAP_LIMIT = 2000  # points on the queue's map; beyond that the filter needs narrowing
SORTS = {
    "oldest": (Report.created_at.asc(), Report.id.asc()),
    "newest": (Report.created_at.desc(), Report.id.desc()),
    "due": (Report.due_at.asc().nulls_last(), Report.id.asc()),
    "updated": (Report.updated_at.desc(), Report.id.desc()),
}


@dataclass
class QueueFilter:
    department_id: int
    status: Status | None = None
    category_id: int | None = None
    neighbourhood_id: int | None = None
    older_than_days: int | None = None
    overdue: bool = False
    sort: str = "oldest"
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    public_id: str
    status: Status
    category: str
    neighbourhood: str | None
    description: str
    created_at: datetime
    due_at: datetime | None
    version: int
    hidden_reason: Reason | None  # taken from the public, or waiting for review
    contact_in_text: bool  # its description or address looks like it holds contact details
    flagged: bool  # the public flagged it and no moderator has answered yet

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


def _conditions(f: QueueFilter, now: datetime) -> list:
    conditions = [Report.department_id == f.department_id, Report.closed_at.is_(None)]
    if f.status:
        conditions.append(Report.status == f.status)
    if f.category_id:
        conditions.append(Report.category_id == f.category_id)
    if f.neighbourhood_id:
        conditions.append(Report.neighbourhood_id == f.neighbourhood_id)
    if f.older_than_days:
        conditions.append(Report.created_at < now - timedelta(days=f.older_than_days))
    if f.overdue:
        conditions.append(Report.due_at < now)
    return conditions


def _filtered(f: QueueFilter, now: datetime):
    return select(Report).where(*_conditions(f, now))


def count_reach(f: QueueFilter) -> int:
    """How far the count goes for this filter: COUNT_LIMIT, or to the end of the page asked for if deeper."""
    return max(COUNT_LIMIT, max(f.page, 1) * PAGE_SIZE)


def queue_statements(f: QueueFilter, now: datetime):
    """The two statements behind a queue page: how many match (up to one past count_reach), and the page's rows.

    The count selects a constant from the report table alone, so that PostgreSQL can answer it from one of
    the department's open-ticket indexes without visiting a row (the whole queue, its overdue part), and
    stops one past its reach.
    """
    count = select(func.count()).select_from(
        select(literal(1)).select_from(Report).where(*_conditions(f, now)).limit(count_reach(f) + 1).subquery())
    page = (
        _filtered(f, now)
        .with_only_columns(Report.public_id, Report.status, Category.name, Neighbourhood.name,
                           func.left(Report.description, 140), Report.created_at, Report.due_at, Report.version,
                           Report.hidden_reason, Report.contact_in_text,
                           exists().where(Flag.report_id == Report.id, Flag.resolved_at.is_(None)))
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Neighbourhood, Neighbourhood.id == Report.neighbourhood_id)
        .order_by(*SORTS.get(f.sort, SORTS["oldest"]))
        .limit(PAGE_SIZE).offset((max(f.page, 1) - 1) * PAGE_SIZE)
    )
    return count, page


def queue_page(f: QueueFilter, now: datetime) -> tuple[list[QueueRow], int]:
    """One page of a department's open tickets under the filter, and how many there are: exactly up to
    count_reach(f); a total past it (one more) means "more than count_reach(f)"."""
    count, page = queue_statements(f, now)
    total = db.session.scalar(count)
    return [QueueRow(*row) for row in db.session.execute(page)], total


def queue_count(f: QueueFilter, now: datetime) -> int:
    """How many match, as queue_page() counts them (exactly up to count_reach(f), one more for "more")."""
    return db.session.scalar(queue_statements(f, now)[0])


def queue_points(f: QueueFilter, now: datetime, limit: int | None = None) -> dict:
    """The filter's tickets as a GeoJSON FeatureCollection in the queue's order, at most MAP_LIMIT."""
    limit = limit or MAP_LIMIT
    rows = db.session.execute(
        _filtered(f, now)
        .with_only_columns(Report.public_id, Report.status, Category.name, Report.due_at,
                           func.ST_X(Report.location), func.ST_Y(Report.location))
        .join(Category, Category.id == Report.category_id)
        .order_by(*SORTS.get(f.sort, SORTS["oldest"]))
        .limit(limit)
    ).all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
         "properties": {"id": f"#{public_id}", "number": public_id, "category": category,
                        "status": str(status.label), "overdue": bool(due_at and due_at < now)}}
        for public_id, status, category, due_at, x, y in rows
    ]}


def report_by_public_id(public_id: str) -> Report | None:
    return db.session.scalar(
        select(Report).where(Report.public_id == public_id)
        .options(joinedload(Report.category), joinedload(Report.department), joinedload(Report.neighbourhood))
    )


def reports_by_public_ids(public_ids: list[str], department_id: int) -> list[Report]:
    return db.session.scalars(
        select(Report).where(Report.public_id.in_(public_ids), Report.department_id == department_id)
    ).all()


def timeline(report: Report) -> list[Update]:
    """Every event, public and internal, oldest first."""
    return db.session.scalars(
        select(Update).where(Update.report_id == report.id)
        .options(joinedload(Update.user), joinedload(Update.from_department), joinedload(Update.to_department))
        .order_by(Update.created_at, Update.id)
    ).all()


def reassignment_choices(report: Report) -> list[Department]:
    """Departments that can act on this report's category (its handlers and its city-wide desk)."""
    category = report.category
    ids = {d.id for d in category.departments} | ({category.fallback_department_id} - {None})
    ids.discard(report.department_id)
    return db.session.scalars(select(Department).where(Department.id.in_(ids)).order_by(Department.name)).all()


def categories_for(department_id: int) -> list:
    """The (id, name) of each category the department handles or backs city-wide, by name: the queue's filter."""
    return db.session.execute(
        select(Category.id, Category.name)
        .where(Category.departments.any(Department.id == department_id)
               | (Category.fallback_department_id == department_id))
        .order_by(Category.name)
    ).all()


def neighbourhood_choices() -> list[tuple[int, str]]:
    """Every neighbourhood's (id, name), by name, for the queue's filter: read each time (a few hundred short
    rows, without the boundaries a Neighbourhood carries), so a rename or an import shows at once."""
    # Sorted here, as reports.queries.neighbourhoods() does: under the database's collation the sort was
    # most of the statement's time.
    return sorted((tuple(row) for row in db.session.execute(select(Neighbourhood.id, Neighbourhood.name))),
                  key=lambda row: row[1])
