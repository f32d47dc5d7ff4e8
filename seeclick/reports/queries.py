"""What citizens' pages read: categories served at a place, nearby reports, history, timelines."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from seeclick import dbapi
from seeclick.categories.models import Category
from seeclick.categories.queries import CATEGORY_VERSION
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.moderation.models import HiddenUpdate, Reason
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.photos.models import Photo
from seeclick.reports.models import Report, Status, Support, Update

CATEGORIES_AT = text("""
    WITH here AS (
        SELECT DISTINCT p.department_id FROM service_area_part p
        WHERE ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    )
    SELECT c.id FROM category c
    WHERE c.active AND EXISTS (SELECT 1 FROM here) AND (
        c.fallback_department_id IS NOT NULL
        OR EXISTS (SELECT 1 FROM department_category dc JOIN here h ON h.department_id = dc.department_id
                   WHERE dc.category_id = c.id))
""")


# Everything a new report at a point needs to read, in one round trip: the rows of
# route_candidates() (for routing.route_candidates()), then on every row the neighbourhood the
# point is in and the category's version (for categories.versions).
NEW_REPORT_AT = f"""
    SELECT r.category_name, r.active, r.fallback_department_id, r.department_id, r.area_m2, r.handles,
           (SELECT n.id FROM neighbourhood n
            WHERE ST_Intersects(n.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) LIMIT 1),
           (SELECT {CATEGORY_VERSION} FROM category c WHERE c.id = %(category_id)s)
    FROM route_candidates(%(category_id)s, %(lon)s::float8, %(lat)s::float8) r
"""


@dataclass(frozen=True)
class Place:
    """What NEW_REPORT_AT found: the routing candidates, the neighbourhood, the category's version."""

    candidates: list[tuple]
    neighbourhood_id: int | None
    category_version: str | None


def new_report_at(category_id: int, where: LatLon) -> Place:
    found = dbapi.rows(NEW_REPORT_AT, {"category_id": category_id, "lon": where.lon, "lat": where.lat})
    if not found:  # no such category
        return Place([], None, None)
    return Place(found, found[0][6], found[0][7])


def categories_at(where: LatLon) -> list[Category]:
    """The categories some department takes at this place, by group and name; none outside the city."""
    ids = db.session.scalars(CATEGORIES_AT, {"lon": where.lon, "lat": where.lat}).all()
    if not ids:
        return []
    return db.session.scalars(select(Category).where(Category.id.in_(ids))
                              .order_by(Category.group, Category.name)).all()


def category(category_id: int) -> Category | None:
    return db.session.get(Category, category_id)


def active_categories() -> list[Category]:
    return db.session.scalars(select(Category).where(Category.active).order_by(Category.group, Category.name)).all()


def neighbourhood_at(where: LatLon) -> Neighbourhood | None:
    point = func.ST_SetSRID(func.ST_MakePoint(where.lon, where.lat), 4326)
    return db.session.scalar(select(Neighbourhood).where(func.ST_Intersects(Neighbourhood.geom, point)).limit(1))


def neighbourhoods() -> list[Neighbourhood]:
    return db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.borough, Neighbourhood.name)).all()


def neighbourhood_by_code(code: str) -> Neighbourhood | None:
    return db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == code))


def point_in(neighbourhood: Neighbourhood) -> LatLon:
    """A point surely inside the neighbourhood, for a report placed without the map."""
    inside = func.ST_PointOnSurface(Neighbourhood.geom)
    lon, lat = db.session.execute(
        select(func.ST_X(inside), func.ST_Y(inside)).where(Neighbourhood.id == neighbourhood.id)).one()
    return LatLon(lat, lon)


@dataclass(frozen=True)
class Nearby:
    report: Report
    metres: float
    supporters: int
    thumbnail: str | None


# Metres in a degree of a great circle on the sphere ST_DistanceSphere measures on (radius 6,371,008.8 m).
SPHERE_METRES_PER_DEGREE = 111_195.08


def box_degrees(metres: float, lat: float) -> float:
    """Half the side of a box in degrees that holds every point within `metres` on the sphere.

    A degree of longitude is SPHERE_METRES_PER_DEGREE times cos(lat), and one of latitude is the full
    figure, so one half-side serves both; 1% more covers rounding at the edge of the circle.
    """
    return metres * 1.01 / SPHERE_METRES_PER_DEGREE / max(0.2, math.cos(math.radians(lat)))


def nearby_open(category_id: int, where: LatLon, metres: float, limit: int = 5) -> list[Nearby]:
    """Open reports of this category within `metres` of the place, nearest first ("Is it one of these?")."""
    point = to_db(where.to_point())
    # The box (in degrees, generous for any latitude of a city) uses the partial GiST index;
    # the true distance on the sphere then decides.
    degrees = box_degrees(metres, where.lat)
    distance = func.ST_DistanceSphere(Report.location, point)
    supporters = select(func.count()).where(Support.report_id == Report.id).scalar_subquery()
    thumbnail = (select(Photo.token).where(Photo.report_id == Report.id, Photo.update_id.is_(None),
                                           Photo.hidden_reason.is_(None))
                 .order_by(Photo.id).limit(1).scalar_subquery())
    rows = db.session.execute(
        select(Report, distance, supporters, thumbnail)
        .where(Report.closed_at.is_(None), Report.category_id == category_id, Report.hidden_reason.is_(None),
               Report.location_approximate.is_(False),  # placed by neighbourhood: its point says nothing
               Report.location.intersects(func.ST_Expand(point, degrees)), distance <= metres)
        .order_by(distance).limit(limit)).all()
    return [Nearby(r, d, s, t) for r, d, s, t in rows]


@dataclass(frozen=True)
class History:
    """How reports like this one, here, were closed lately."""

    closed: int  # how many of the latest closed were looked at
    fixed: int
    median_to_fix: timedelta | None


HISTORY_SIZE = 200
HISTORY_MINIMUM = 10  # fewer than this and we say there is no history yet


def history(department_id: int, category_id: int, since: datetime) -> History:
    latest = (select(Report.status, (Report.closed_at - Report.created_at).label("took"))
              .where(Report.department_id == department_id, Report.category_id == category_id,
                     Report.closed_at.is_not(None), Report.closed_at >= since)
              .order_by(Report.closed_at.desc()).limit(HISTORY_SIZE).subquery())
    closed, fixed, median = db.session.execute(select(
        func.count(),
        func.count().filter(latest.c.status == Status.FIXED),
        func.percentile_cont(0.5).within_group(latest.c.took).filter(latest.c.status == Status.FIXED),
    )).one()
    return History(closed, fixed, median)


def supporters(report: Report) -> int:
    return db.session.scalar(select(func.count()).where(Support.report_id == report.id))


def public_timeline(report: Report) -> tuple[list[Update], dict[int, Reason]]:
    """The public entries of a report's timeline in order (with the departments it passed between), and why
    each one a moderator hid was hidden: one statement however long the timeline."""
    rows = db.session.execute(select(Update, HiddenUpdate.reason)
                              .outerjoin(HiddenUpdate, HiddenUpdate.update_id == Update.id)
                              .options(joinedload(Update.from_department), joinedload(Update.to_department))
                              .where(Update.report_id == report.id, Update.public)
                              .order_by(Update.created_at, Update.id)).all()
    return [event for event, _ in rows], {event.id: reason for event, reason in rows if reason is not None}


def by_id(report_id: int) -> Report | None:
    return db.session.get(Report, report_id)


def by_public_id(public_id: str) -> Report | None:
    return db.session.scalar(select(Report).where(Report.public_id == public_id))


def for_page(public_id: str) -> Report | None:
    """A report with what its page shows of its category (and questions), department and neighbourhood,
    in two statements rather than one per relation as each is first read."""
    return db.session.scalar(select(Report).where(Report.public_id == public_id).options(
        joinedload(Report.category).selectinload(Category.questions), joinedload(Report.department),
        joinedload(Report.neighbourhood)))


def by_tracking_number(number: str) -> Report | None:
    """The report a tracking number (as tracking.number() reads it) names, whatever the case it was typed in."""
    return db.session.scalar(select(Report).where(Report.public_id.in_({number, number.upper(), number.lower()}))
                             .limit(1))


def public_id_of(report_id: int) -> str | None:
    return db.session.scalar(select(Report.public_id).where(Report.id == report_id))


def update(update_id: int) -> Update | None:
    return db.session.get(Update, update_id)


def by_submission_key(key: str) -> Report | None:
    return db.session.scalar(select(Report).where(Report.submission_key == key))


def after_photos(report: Report) -> dict[int, list[Photo]]:
    """Photos added to the timeline (an "after" photo with a closing note), by the update they belong to.

    Read with the report's own photos in one statement, which are set as `report.photos` on the way.
    """
    photos = db.session.scalars(select(Photo).where(Photo.report_id == report.id).order_by(Photo.id)).all()
    set_committed_value(report, "photos", [photo for photo in photos if photo.update_id is None])
    result: dict[int, list[Photo]] = {}
    for photo in photos:
        if photo.update_id is not None:
            result.setdefault(photo.update_id, []).append(photo)
    return result
