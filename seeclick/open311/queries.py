"""The SELECTs behind the Open311 API: services, and reports as service requests."""

import functools
import math
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Interval,
    String,
    any_,
    bindparam,
    cast,
    exists,
    func,
    null,
    select,
    text,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased, selectinload

from seeclick import dbapi
from seeclick.categories.models import Category
from seeclick.delivery.models import UpdateSource
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import LatLon
from seeclick.moderation.models import HiddenUpdate
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.open311.models import ApiKey, digest
from seeclick.photos.models import Photo
from seeclick.reports.models import Report, Update

# What a POST checks first, in one round trip on the session's connection (plain DBAPI SQL):
# the key, not revoked (never cached: a revoked key is refused by every process at once), and the
# active category with the service code.
KEY_AND_SERVICE = """
    SELECT EXISTS (SELECT 1 FROM api_key WHERE key_hash = %(key_hash)s AND revoked_at IS NULL),
           (SELECT id FROM category WHERE code = %(code)s AND active)
"""


def key_and_service(key: str, code: str) -> tuple[bool, int | None]:
    """Whether the API key is valid, and the id of the active category with this service code."""
    if not key:
        return False, None
    return dbapi.one(KEY_AND_SERVICE, {"key_hash": digest(key), "code": code})


def keys() -> list[ApiKey]:
    return db.session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())).all()


# Only what the public may see: a report a moderator took from the public (or one waiting for review) is not listed.
PUBLIC = Report.hidden_reason.is_(None)


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


def requests(chosen: RequestFilter, extended: bool = False) -> list:
    """The reports matching the filter, newest first, one page of them; `extended`, each with its timeline."""
    if chosen.ids is not None:  # service_request_id overrides every other filter
        return _page(listing(Report, notes=not extended).where(Report.public_id.in_(chosen.ids), PUBLIC)
                     .order_by(Report.created_at.desc()).limit(1000), extended)
    where = conditions(chosen)
    values = {"page_size": chosen.page_size, "offset": (chosen.page - 1) * chosen.page_size, **bound(chosen)}
    if chosen.service_codes:
        # By id, not by joining on the code: then index (category_id, created_at) reads one category newest first.
        ids = category_ids(chosen.service_codes)
        if not ids:
            return []
        in_categories, values["category_ids"] = by_category(ids)
        where.append(in_categories)
    if chosen.bbox is None and chosen.near is None:
        return _listed(chosen, where, values, extended)
    if chosen.near is not None:
        # The planner takes one report in three of the circle's box to be in the circle (it is three in four),
        # so for a page about as large as the circle's reports it would sort them all (10 ms for 500 m) rather
        # than read them newest first (6 ms), and prices the distance on the spheroid so high that it starts
        # a second process, which costs more than it saves on 2 cores (26 ms).
        db.session.execute(text("SELECT set_config('enable_bitmapscan', 'off', true), "
                                "set_config('max_parallel_workers_per_gather', '0', true)"))
    box = box_around(*chosen.near) if chosen.near is not None else chosen.bbox
    found = newest_in_place(where, box, chosen.page * chosen.page_size).c
    return _page(paged(select(*found), found, chosen.page_size, values["offset"], notes=not extended), extended)


def paged(matching, found, page_size: int, offset: int, notes: bool):
    """One page of `matching` (reports, or columns `found` of them), newest first, with what a request shows.

    The page is chosen before anything is joined to it or looked up for it: PostgreSQL works out a
    row's columns before OFFSET passes it by, so page 20 of 50 would look up 1,000 reports' notes.
    """
    page = (matching.order_by(found.created_at.desc(), found.id.desc())
            .limit(bindparam("page_size", page_size)).offset(bindparam("offset", offset))
            .subquery("page"))
    return listing(page.c, notes=notes).order_by(page.c.created_at.desc(), page.c.id.desc())


def _listed(chosen: RequestFilter, where: list, values: dict, extended: bool) -> list:
    """A page found by time and the plain filters (the usual request): SQL made once for each combination of filters.

    Building, keying and compiling the SQLAlchemy statement took longer than PostgreSQL takes to
    answer a page of 50 (bench/run.py); with the filters' values as parameters, the SQL is the
    same for every request of a shape, so it is compiled once and run on the session's cursor.
    """
    statuses = frozenset(chosen.statuses) if chosen.statuses in ({"open"}, {"closed"}) else None
    categories = values.get("category_ids")  # none, one (an id) or several (a list): three statements
    shape = (statuses, *(values[name] is not None for name in FILTERS), type(categories), extended)
    sql, defaults, fields = _compiled(shape, lambda: paged(select(*LISTED).where(*where), Report, values["page_size"],
                                                           values["offset"], notes=not extended))
    return _records(fields, dbapi.rows(sql, {**defaults, **values}), extended)


_COMPILED: dict[tuple, tuple[str, dict, tuple[str, ...]]] = {}


def _compiled(shape: tuple, build) -> tuple[str, dict, tuple[str, ...]]:
    """The SQL text, the parameters (each request gives its own filters' values) and the column names of the
    statement `build()` makes for `shape`."""
    found = _COMPILED.get(shape)
    if found is None:
        statement = build()
        dialect = db.session.get_bind().dialect
        compiled = statement.compile(dialect=dialect)
        # Any other parameter would keep the first request's value for every later request of the shape.
        stray = set(compiled.params) - set(REQUESTED) - set(FILTERS) - _listing_constants(dialect)
        if stray:
            raise RuntimeError(f"open311.queries: {', '.join(sorted(stray))} would keep the first request's value "
                               "in every later one of its filters: give each a named bindparam in conditions() "
                               "and its value in bound()")
        found = _COMPILED[shape] = (compiled.string, compiled.params, tuple(statement.selected_columns.keys()))
    return found


REQUESTED = ("page_size", "offset", "category_ids")  # the other parameters each request gives (_listed)


@functools.cache
def _listing_constants(dialect) -> frozenset[str]:
    """The parameters of what listing() shows (the same for every request): an empty note, for one."""
    return frozenset(listing(Report).compile(dialect=dialect).params)


FILTERS = ("start", "end", "updated_after", "updated_before")  # conditions()' parameters, as RequestFilter names them


def bound(chosen: RequestFilter) -> dict:
    """The filters' values, as conditions() names its parameters."""
    return {name: getattr(chosen, name) for name in FILTERS}


def _page(query, extended: bool) -> list:
    """The rows as named tuples; `extended`, each with its public timeline and its latest note taken from it."""
    result = db.session.execute(query)
    return _records(tuple(result.keys()), result, extended)


def _records(fields: tuple[str, ...], result, extended: bool) -> list:
    # Reading a field of a SQLAlchemy Row costs 0.3-0.4 µs, of a named tuple a tenth of that; serialising
    # a request reads 17 of them (5 ms of a page of 1000).
    record = _record_type(fields)
    rows = [record._make(row) for row in result]
    if not extended:
        return rows
    found = timelines([row.id for row in rows])
    record, note = _record_type((*fields, "timeline")), fields.index("status_notes")
    extended_rows = []
    for row in rows:
        values, timeline = list(row), found[row.id]
        # The latest public update that says something, as the listing's subquery finds it for a plain page.
        values[note] = next((update.body for update in reversed(timeline) if update.body and not update.hidden_reason),
                            None)
        extended_rows.append(record(*values, timeline))
    return extended_rows


@functools.cache
def _record_type(fields: tuple[str, ...]):
    return namedtuple("ServiceRequestRecord", fields)


def listing(report, notes: bool = True):
    """What a service request shows, from `report`: the table, or the columns of some of its rows already chosen.

    Without `notes`, the latest public note is left for the caller to take from the timeline.
    """
    latest_note = (select(Update.body).where(Update.report_id == report.id, Update.public, Update.body != "",
                                             ~exists().where(HiddenUpdate.update_id == Update.id))
                   .order_by(Update.created_at.desc(), Update.id.desc()).limit(1).scalar_subquery()
                   if notes else null())
    first_photo = (select(Photo.token).where(Photo.report_id == report.id, Photo.update_id.is_(None),
                                             Photo.hidden_reason.is_(None))
                   .order_by(Photo.id).limit(1).scalar_subquery())
    return (
        select(report.id, report.public_id, report.closed_at.is_not(None).label("closed"),
               w3c(report.created_at).label("requested_datetime"),
               w3c(func.coalesce(report.closed_at, report.updated_at)).label("updated_datetime"),
               w3c(report.due_at).label("expected_datetime"), report.description, report.address,
               report.duplicate_of_id, type_coerce(report.channel, String).label("channel"),  # its word, as SQL has it
               Neighbourhood.name.label("neighbourhood_name"), Neighbourhood.code.label("neighbourhood_code"),
               func.ST_Y(report.location).label("lat"), func.ST_X(report.location).label("lon"),
               Category.code.label("service_code"), Category.name.label("service_name"),
               Department.name.label("agency_responsible"), latest_note.label("status_notes"),
               first_photo.label("photo_token"), report.media_urls[1].label("media_link"))
        .join(Category, Category.id == report.category_id)
        .join(Department, Department.id == report.department_id)
        .outerjoin(Neighbourhood, Neighbourhood.id == report.neighbourhood_id)
    )


def w3c(moment):
    """A time as Open311's W3C date-time in UTC (`2026-11-21T03:56:43Z`), formatted by PostgreSQL.

    As serialize.w3c() does, without a datetime made and formatted in Python for each of three
    times a request: that was a third of the Python time of a page of 1000.
    """
    return func.to_char(func.timezone("UTC", moment), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')


def conditions(chosen: RequestFilter) -> list:
    """What the reports must be, service codes aside (the caller looks their categories up)."""
    where = [PUBLIC]
    if chosen.statuses == {"open"}:
        where.append(Report.closed_at.is_(None))
    elif chosen.statuses == {"closed"}:
        where.append(Report.closed_at.is_not(None))
    # Named parameters (bound() gives their values), so that the SQL of a shape of filters is the same every time.
    if chosen.start is not None:
        where.append(Report.created_at >= bindparam("start", chosen.start))
    if chosen.end is not None:
        where.append(Report.created_at <= bindparam("end", chosen.end))
    if chosen.updated_after is not None:
        where.append(Report.updated_at >= bindparam("updated_after", chosen.updated_after))
    if chosen.updated_before is not None:
        where.append(Report.updated_at <= bindparam("updated_before", chosen.updated_before))
    if chosen.bbox is not None:
        where.append(Report.location.intersects(func.ST_MakeEnvelope(*chosen.bbox, 4326)))
    if chosen.near is not None:
        centre, metres = chosen.near
        point = func.ST_SetSRID(func.ST_MakePoint(centre.lon, centre.lat), 4326)
        # The box finds candidates on the GiST index; the distance on the WGS84 spheroid decides. ST_Distance,
        # not ST_DWithin: the same test, but the planner does not take it to keep one row in 3,000.
        where += [Report.location.intersects(func.ST_MakeEnvelope(*box_around(centre, metres), 4326)),
                  func.ST_Distance(cast(Report.location, Geography), cast(point, Geography)) <= metres]
    return where


def newest_in_place(where: list, box: tuple, count: int):
    """The `count` newest reports found by place (and all as old as the last of them), as a subquery.

    Three ways, whichever reads least (`reading()`):
    - "time": the box holds a large share of all reports, so read every report back in time (index on
      created_at) and keep those in the box;
    - "time_place": a middle share, so read the GiST index on (created_at, location) ordered by the
      distance in time from the newest report: laid out by time, it finds the newest entries at once
      and checks each one's place in the index, fetching from the table only the reports in the box;
    - "place_time": a small box, so read the box's reports from the GiST index on (location,
      created_at) ordered by that distance: laid out by place, it looks at the box's entries and
      little else (sorting them all by time instead would fetch every one from the table first).
    PostgreSQL 15 orders those scans by the distance and nothing more, so ties on the time come along
    (WITH TIES), in every way, for the caller to order and page as usual.
    """
    way = reading(box, count)
    if way == "time":
        newest_first = Report.created_at.desc()
    else:
        newest = aliased(Report)
        newest_first = Report.created_at.op("<->", return_type=Interval)(
            select(func.max(newest.created_at)).scalar_subquery())
        if way == "time_place":
            # Only a query that says so may use ix_report_time_place (its predicate is always true):
            # elsewhere PostgreSQL would take it for small boxes, where it is several times slower.
            where = [*where, Report.map_key.is_not(None)]
    return (select(*LISTED).where(*where).order_by(newest_first).fetch(count, with_ties=True)
            .subquery("chosen"))


# A report read from the table costs about 25 entries read from a GiST index (measured: 2.3 µs
# against 0.09 µs, 5 million reports).
ROW_IN_ENTRIES = 25


def reading(box: tuple, count: int) -> str:
    """Which way the `count` newest reports in `box` come soonest: "time", "time_place" or "place_time"."""
    # The planner's estimates from the statistics of report.location, both from one EXPLAIN.
    [plan] = db.session.execute(text(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM report WHERE location && ST_MakeEnvelope(:w, :s, :e, :n, 4326) "
        "UNION ALL SELECT 1 FROM report"), dict(zip("wsen", box, strict=True))).scalar()
    in_box, everywhere = (part["Plan Rows"] for part in plan["Plan"]["Plans"])
    # Back in time, about count * everywhere / in_box reports are read (from the table by the btree,
    # from the index alone by the time-first GiST); by place, about in_box entries.
    if in_box * in_box > ROW_IN_ENTRIES * count * everywhere:
        return "time"
    if in_box * in_box > count * everywhere:
        return "time_place"
    return "place_time"


# The report's columns listing() reads.
LISTED = (Report.id, Report.public_id, Report.closed_at, Report.created_at, Report.updated_at, Report.due_at,
          Report.description, Report.address, Report.duplicate_of_id, Report.channel, Report.location,
          Report.category_id, Report.department_id, Report.neighbourhood_id, Report.media_urls)


def by_category(ids: list[int]) -> tuple:
    """Reports in these categories, and the value of its parameter. One is `=`, not `= ANY`: only then does
    PostgreSQL take index (category_id, created_at) to give them newest first (an array might hold several)."""
    if len(ids) == 1:
        return Report.category_id == bindparam("category_ids", ids[0]), ids[0]
    return Report.category_id == any_(bindparam("category_ids", ids, type_=ARRAY(BigInteger))), ids


def category_ids(codes: list[str]) -> list[int]:
    """The ids of the categories with these codes (inactive ones too: their reports are still public)."""
    return db.session.scalars(select(Category.id).where(Category.code.in_(codes))).all()


SHORTEST_DEGREE = 110_574  # metres in a degree of latitude at the equator, the shortest on the WGS84 spheroid


def box_around(where: LatLon, metres: float) -> tuple[float, float, float, float]:
    """A box (min lon, min lat, max lon, max lat) that holds every point within `metres` of `where`, and little more.

    In latitude, `metres` over the shortest degree (111,320 m would leave out points near the
    northern and southern edges of the circle: a degree there is shorter). In longitude, that over
    the cosine of the latitude nearest the pole the circle reaches, where degrees of longitude are
    shortest. A circle over a pole or across the antimeridian takes every longitude.
    """
    degrees = metres / SHORTEST_DEGREE
    poleward = abs(where.lat) + degrees
    wide = degrees / math.cos(math.radians(poleward)) if poleward < 90 else 360
    if where.lon - wide < -180 or where.lon + wide > 180:
        return (-180, where.lat - degrees, 180, where.lat + degrees)
    return (where.lon - wide, where.lat - degrees, where.lon + wide, where.lat + degrees)


def timelines(report_ids: list[int]) -> dict[int, list]:
    """The public updates of these reports, oldest first (for `extensions=true`), with the departments' names."""
    result: dict[int, list] = {i: [] for i in report_ids}
    if report_ids:
        passed_from, passed_to = aliased(Department), aliased(Department)
        # One array parameter, not 1,000 (each bound and rendered into the statement by SQLAlchemy).
        ids = bindparam("report_ids", report_ids, type_=ARRAY(BigInteger))
        found = db.session.execute(
            select(Update.report_id, w3c(Update.created_at).label("datetime"), Update.body, Update.old_status,
                   Update.new_status, Update.to_department_id, passed_from.name.label("from_department_name"),
                   passed_to.name.label("to_department_name"), HiddenUpdate.reason.label("hidden_reason"))
            .outerjoin(HiddenUpdate, HiddenUpdate.update_id == Update.id)
            .outerjoin(passed_from, passed_from.id == Update.from_department_id)
            .outerjoin(passed_to, passed_to.id == Update.to_department_id)
            .where(Update.report_id == any_(ids), Update.public).order_by(Update.created_at, Update.id))
        record = _record_type(tuple(found.keys()))
        for update in found:
            result[update.report_id].append(record._make(update))
    return result


def request_updates(start: datetime, end: datetime, page: int, page_size: int) -> list:
    """The public updates of public reports made from `start` to `end`, oldest first: one page, and one row more
    when there are more (so the caller can tell a full window from a page of it).

    Each with the report's status once it was made (a note changes nothing: the last status before it, or new).
    """
    before = aliased(Update)
    status_then = (select(before.new_status)
                   .where(before.report_id == Update.report_id, before.new_status.is_not(None),
                          tuple_(before.created_at, before.id) <= tuple_(Update.created_at, Update.id))
                   .order_by(before.created_at.desc(), before.id.desc()).limit(1).scalar_subquery())
    after_photo = (select(Photo.token).where(Photo.update_id == Update.id, Photo.hidden_reason.is_(None))
                   .order_by(Photo.id).limit(1).scalar_subquery())
    result = db.session.execute(
        select(Update.id, Report.public_id, w3c(Update.created_at).label("updated_datetime"), Update.body,
               func.coalesce(status_then, text("'new'::report_status")).label("status"),
               HiddenUpdate.reason.label("hidden_reason"), after_photo.label("photo_token"),
               Update.media_urls[1].label("media_link"))
        .join(Report, Report.id == Update.report_id)
        .outerjoin(HiddenUpdate, HiddenUpdate.update_id == Update.id)
        .where(Update.public, PUBLIC, Update.created_at >= start, Update.created_at <= end)
        .order_by(Update.created_at, Update.id).limit(page_size + 1).offset((page - 1) * page_size))
    record = _record_type(tuple(result.keys()))
    return [record._make(row) for row in result]


def report_for_update(public_id: str) -> Report | None:
    """The report a client posts an update to (a hidden one too: the client knew it)."""
    return db.session.scalar(select(Report).where(Report.public_id == public_id))


def api_key_id(key: str) -> int | None:
    """The id of this API key, if it is valid (not revoked)."""
    if not key:
        return None
    return db.session.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest(key), ApiKey.revoked_at.is_(None)))


def posted_update(api_key_id: int, external_id: str) -> int | None:
    """Our update made from this client's update id, if it posted it before."""
    return db.session.scalar(select(UpdateSource.update_id).where(UpdateSource.api_key_id == api_key_id,
                                                                  UpdateSource.external_id == external_id))
