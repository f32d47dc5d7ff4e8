"""What citizens' pages read: categories served at a place, nearby reports, history, timelines."""

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from seeclick import dbapi
from seeclick.caching import Kept
from seeclick.categories.models import Category
from seeclick.categories.queries import CATEGORY_VERSION
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.moderation.models import Reason
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.neighbourhoods.queries import OUTLINES_SECONDS
from seeclick.photos.models import Photo
from seeclick.reports.models import Report, ReportState, Status, Support, Update

# The categories offered at a point: those some department takes there (the departments whose service areas
# hold it), or that a city-wide desk takes; none outside every area. Everywhere (no point): the active ones.
# Each with its version (categories.queries.CATEGORY_VERSION), by group and name. Plain DBAPI SQL.
_OFFERED = f"""
    SELECT c.id, c.name, c.group_name, {CATEGORY_VERSION} FROM category c WHERE c.active {{here}}
    ORDER BY c.group_name, c.name
"""
OFFERED_EVERYWHERE = _OFFERED.format(here="")
OFFERED_AT = """
    WITH here AS (
        SELECT DISTINCT p.department_id FROM service_area_part p
        WHERE ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
    )""" + _OFFERED.format(here="""AND EXISTS (SELECT 1 FROM here) AND (
        c.fallback_department_id IS NOT NULL
        OR EXISTS (SELECT 1 FROM department_category dc JOIN here h ON h.department_id = dc.department_id
                   WHERE dc.category_id = c.id))""")


class Offered(NamedTuple):
    """A category as the report form and its script offer it."""

    id: int
    name: str
    group: str
    version: str


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


def offered(where: LatLon | None) -> list[Offered]:
    """The categories a report may be made in at this place (None: anywhere in the city), by group and name."""
    if where is None:
        return [Offered(*row) for row in dbapi.rows(OFFERED_EVERYWHERE, {})]
    return [Offered(*row) for row in dbapi.rows(OFFERED_AT, {"lon": where.lon, "lat": where.lat})]


def category(category_id: int) -> Category | None:
    return db.session.get(Category, category_id)


def with_questions(ids: list[int]) -> list[Category]:
    """These categories with their questions (one statement for them all), in this order."""
    found = {c.id: c for c in db.session.scalars(
        select(Category).where(Category.id.in_(ids)).options(selectinload(Category.questions)))}
    return [found[i] for i in ids if i in found]


def neighbourhood_at(where: LatLon) -> Neighbourhood | None:
    point = func.ST_SetSRID(func.ST_MakePoint(where.lon, where.lat), 4326)
    return db.session.scalar(select(Neighbourhood).where(func.ST_Intersects(Neighbourhood.geom, point)).limit(1))


# The neighbourhoods change only when boundaries are imported again: kept as the city's outlines are (whose
# names the city's map shows), and read again after that long.
_neighbourhoods: Kept[list] = Kept("every neighbourhood's code, name and borough, by database",
                                   seconds=OUTLINES_SECONDS)


def neighbourhoods() -> list:
    """Every neighbourhood's code, name and borough (not its boundary), by borough and name, for the form's choice.

    Sorted here: PostgreSQL compares text under the database's collation (strcoll, even for C.UTF-8),
    which took 2 of the 2.5 ms of the statement for a few hundred rows.
    """
    def read() -> list:
        rows = db.session.execute(select(Neighbourhood.code, Neighbourhood.name, Neighbourhood.borough)).all()
        return sorted((tuple(row) for row in rows), key=lambda row: (row[2], row[1]))

    return _neighbourhoods.get(db.engine.url.render_as_string(), read)


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


def by_id(report_id: int) -> Report | None:
    return db.session.get(Report, report_id)


def by_public_id(public_id: str) -> Report | None:
    return db.session.scalar(select(Report).where(Report.public_id == public_id))


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


# Everything a report's public page shows, as one JSON document PostgreSQL writes in one statement: the
# report's public fields, its category's name and questions, the names of its department and neighbourhood,
# its public timeline (with the departments it passed between and what a moderator hid), its photos and its
# supporters. Read through the ORM, the same took five statements and about 10 ms of a 19 ms page.
# The reporter's contact details, the answers to private questions, and the words, links and photos a
# moderator took back are not in it (only that they were taken, and why): what the page never reads it
# cannot show.
_PAGE = text("""
    SELECT json_build_object(
        'public_id', r.public_id, 'status', r.status, 'hidden_reason', r.hidden_reason,
        'description', r.description, 'address', r.address, 'media_urls', r.media_urls,
        'answers', (SELECT coalesce(jsonb_object_agg(a.key, a.value), '{}') FROM jsonb_each(r.answers) a
                    WHERE NOT EXISTS (SELECT 1 FROM category_question q WHERE q.category_id = r.category_id
                                      AND q.code = a.key AND q.private)),
        'created_at', r.created_at, 'due_at', r.due_at, 'acknowledged_at', r.acknowledged_at,
        'closed_at', r.closed_at, 'location_approximate', r.location_approximate,
        'display_name', CASE WHEN r.show_name AND r.reporter_name <> '' THEN r.reporter_name END,
        'lat', ST_Y(r.location), 'lon', ST_X(r.location),
        'category', (SELECT c.name FROM category c WHERE c.id = r.category_id),
        'department', (SELECT d.name FROM department d WHERE d.id = r.department_id),
        'neighbourhood', (SELECT n.name FROM neighbourhood n WHERE n.id = r.neighbourhood_id),
        'duplicate_of', (SELECT o.public_id FROM report o WHERE o.id = r.duplicate_of_id),
        'questions', (SELECT json_agg(json_build_object('code', q.code, 'prompt', q.prompt, 'values', q.values,
                                                        'private', q.private) ORDER BY q.position, q.id)
                      FROM category_question q WHERE q.category_id = r.category_id),
        'timeline', (SELECT json_agg(json_build_object(
                                'id', u.id, 'kind', u.kind, 'old_status', u.old_status, 'new_status', u.new_status,
                                'body', CASE WHEN h.update_id IS NULL THEN u.body ELSE '' END,
                                'media_urls', CASE WHEN h.update_id IS NULL THEN u.media_urls ELSE '{}' END,
                                'created_at', u.created_at,
                                'from_department', (SELECT f.name FROM department f WHERE f.id = u.from_department_id),
                                'to_department', (SELECT t.name FROM department t WHERE t.id = u.to_department_id),
                                'hidden_reason', h.reason)
                            ORDER BY u.created_at, u.id)
                     FROM report_update u LEFT JOIN report_update_hidden h ON h.update_id = u.id
                     WHERE u.report_id = r.id AND u.public),
        'photos', (SELECT json_agg(json_build_object('token', CASE WHEN p.hidden_reason IS NULL THEN p.token END,
                                                     'update_id', p.update_id,
                                                     'hidden_reason', p.hidden_reason) ORDER BY p.id)
                   FROM photo p WHERE p.report_id = r.id),
        'supporters', (SELECT count(*) FROM report_support s WHERE s.report_id = r.id))::text
    FROM report r WHERE r.public_id = :public_id""")


@dataclass(frozen=True, slots=True)
class Named:
    name: str


@dataclass(frozen=True, slots=True)
class PagePhoto:
    token: str | None  # None when a moderator took it back
    hidden_reason: Reason | None


@dataclass(frozen=True, slots=True)
class PageEvent:
    """One entry of a public timeline, as the report's page shows it."""

    id: int
    kind: str
    old_status: Status | None
    new_status: Status | None
    body: str
    media_urls: list[str]
    created_at: datetime
    from_department: Named | None
    to_department: Named | None
    hidden_reason: Reason | None
    photos: list[PagePhoto]


@dataclass(frozen=True, slots=True)
class PageQuestion:
    code: str
    prompt: str
    values: list[dict]
    private: bool


@dataclass(frozen=True, slots=True)
class ReportPage(ReportState):
    """What a report's public page shows, read in one statement (`page()`): plain values, no ORM objects.

    The attribute names are the Report's, so what is shown reads the same in the template as a report would.
    """

    public_id: str
    status: Status
    hidden_reason: Reason | None
    description: str
    address: str
    answers: dict
    media_urls: list[str]
    created_at: datetime
    due_at: datetime | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    location_approximate: bool
    display_name: str | None
    where: LatLon
    category: Named
    department: Named
    neighbourhood: Named | None
    duplicate_of: str | None
    questions: list[PageQuestion]
    timeline: list[PageEvent]
    photos: list[PagePhoto]  # the report's own; an "after" photo is in its timeline entry
    supporters: int
    text: str  # the document it was read from: the same text, the same page

    @property
    def first_department(self) -> Named:
        """Where it was sent first: before the first time it was passed on, or where it is now."""
        moves = [event for event in self.timeline if event.to_department is not None]
        return moves[0].from_department if moves else self.department


def page(public_id: str) -> ReportPage | None:
    """A report's public page (`ReportPage`), hidden or not, or None when there is no such report."""
    db.session.flush()  # as an ORM query would: a change made earlier in this request is on the page
    found = db.session.execute(_PAGE, {"public_id": public_id}).scalar()
    return None if found is None else _read_page(found)


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _named(name: str | None) -> Named | None:
    return None if name is None else Named(name)


def _reason(value: str | None) -> Reason | None:
    return None if value is None else Reason(value)


def _read_page(document: str) -> ReportPage:
    found = json.loads(document)
    photos, after = [], {}
    for photo in found["photos"] or ():
        shown = PagePhoto(photo["token"], _reason(photo["hidden_reason"]))
        (photos if photo["update_id"] is None else after.setdefault(photo["update_id"], [])).append(shown)
    timeline = [PageEvent(
        id=event["id"], kind=event["kind"], body=event["body"], media_urls=event["media_urls"],
        old_status=event["old_status"] and Status(event["old_status"]),
        new_status=event["new_status"] and Status(event["new_status"]),
        created_at=_moment(event["created_at"]), from_department=_named(event["from_department"]),
        to_department=_named(event["to_department"]), hidden_reason=_reason(event["hidden_reason"]),
        photos=after.get(event["id"], [])) for event in found["timeline"] or ()]
    return ReportPage(
        public_id=found["public_id"], status=Status(found["status"]), hidden_reason=_reason(found["hidden_reason"]),
        description=found["description"], address=found["address"], answers=found["answers"] or {},
        media_urls=found["media_urls"], created_at=_moment(found["created_at"]), due_at=_moment(found["due_at"]),
        acknowledged_at=_moment(found["acknowledged_at"]), closed_at=_moment(found["closed_at"]),
        location_approximate=found["location_approximate"], display_name=found["display_name"],
        where=LatLon(found["lat"], found["lon"]), category=Named(found["category"]),
        department=Named(found["department"]), neighbourhood=_named(found["neighbourhood"]),
        duplicate_of=found["duplicate_of"],
        questions=[PageQuestion(**question) for question in found["questions"] or ()],
        timeline=timeline, photos=photos, supporters=found["supporters"], text=document)
