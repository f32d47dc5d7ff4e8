"""The SELECTs behind the Open311 API: services, and reports as service requests."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from seeclick.extensions import db
from seeclick.geo import LatLon
from seeclick.models import Category, Department, Neighbourhood, Photo, Report, Update


def services() -> list[Category]:
    return db.session.scalars(select(Category).where(Category.active).options(selectinload(Category.questions))
                              .order_by(Category.group, Category.name)).all()


def service(code: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.code == code, Category.active))


@dataclass
class RequestFilter:
    """GET requests' filters, already checked (open311.params)."""

    ids: list[str] | None = None
    service_codes: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    near: tuple[LatLon, float] | None = None  # a point and a radius in metres
    page: int = 1
    page_size: int = 1000


def requests(chosen: RequestFilter) -> list:
    """The reports matching the filter, newest first, one page of them."""
    latest_note = (select(Update.body).where(Update.report_id == Report.id, Update.public, Update.body != "")
                   .order_by(Update.created_at.desc(), Update.id.desc()).limit(1).scalar_subquery())
    first_photo = (select(Photo.token).where(Photo.report_id == Report.id, Photo.update_id.is_(None))
                   .order_by(Photo.id).limit(1).scalar_subquery())
    query = (
        select(Report.id, Report.public_id, Report.closed_at, Report.created_at, Report.updated_at, Report.due_at,
               Report.description, Report.address, Report.duplicate_of_id, Report.channel,
               Neighbourhood.name.label("neighbourhood_name"), Neighbourhood.code.label("neighbourhood_code"),
               func.ST_Y(Report.location).label("lat"), func.ST_X(Report.location).label("lon"),
               Category.code.label("service_code"), Category.name.label("service_name"),
               Department.name.label("agency_responsible"), latest_note.label("status_notes"),
               first_photo.label("photo_token"))
        .join(Category, Category.id == Report.category_id)
        .join(Department, Department.id == Report.department_id)
        .outerjoin(Neighbourhood, Neighbourhood.id == Report.neighbourhood_id)
    )
    if chosen.ids is not None:  # service_request_id overrides every other filter
        return db.session.execute(query.where(Report.public_id.in_(chosen.ids)).order_by(Report.created_at.desc())
                                  .limit(1000)).all()
    if chosen.service_codes:
        query = query.where(Category.code.in_(chosen.service_codes))
    if chosen.statuses == {"open"}:
        query = query.where(Report.closed_at.is_(None))
    elif chosen.statuses == {"closed"}:
        query = query.where(Report.closed_at.is_not(None))
    if chosen.start is not None:
        query = query.where(Report.created_at >= chosen.start)
    if chosen.end is not None:
        query = query.where(Report.created_at <= chosen.end)
    if chosen.updated_after is not None:
        query = query.where(Report.updated_at >= chosen.updated_after)
    if chosen.updated_before is not None:
        query = query.where(Report.updated_at <= chosen.updated_before)
    if chosen.bbox is not None:
        query = query.where(Report.location.intersects(func.ST_MakeEnvelope(*chosen.bbox, 4326)))
    if chosen.near is not None:
        where, metres = chosen.near
        point = func.ST_SetSRID(func.ST_MakePoint(where.lon, where.lat), 4326)
        degrees = metres / 111_320 / 0.5  # a box that surely holds the circle below 60° of latitude
        query = query.where(Report.location.intersects(func.ST_Expand(point, degrees)),
                            func.ST_DistanceSphere(Report.location, point) <= metres)
    query = query.order_by(Report.created_at.desc(), Report.id.desc())
    return db.session.execute(query.limit(chosen.page_size).offset((chosen.page - 1) * chosen.page_size)).all()


def timelines(report_ids: list[int]) -> dict[int, list[Update]]:
    """The public updates of these reports, oldest first (for `extensions=true`)."""
    result: dict[int, list[Update]] = {i: [] for i in report_ids}
    if report_ids:
        for update in db.session.scalars(select(Update).where(Update.report_id.in_(report_ids), Update.public)
                                         .order_by(Update.created_at, Update.id)):
            result[update.report_id].append(update)
    return result
