"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from seeclick.addresses.locating import locate
from seeclick.extensions import csrf, db, limiter
from seeclick.geo import LatLon, OutsideWorld
from seeclick.neighbourhoods import naming
from seeclick.neighbourhoods import queries as neighbourhoods
from seeclick.open311 import params, queries, serialize
from seeclick.open311 import services as writes
from seeclick.open311.models import digest
from seeclick.photos import services as photos
from seeclick.photos.processing import PhotoError
from seeclick.reports import submission
from seeclick.reports.models import Channel

bp = Blueprint("open311", __name__, url_prefix="/open311")
csrf.exempt(bp)

FORMAT = "<any(json, xml):fmt>"


def answer(document, fmt, root, status=200, headers=None) -> Response:
    body, content_type = serialize.render(document, fmt, root)
    return Response(body, status=status, content_type=content_type, headers=headers)


def failure(status: int, description: str, fmt: str | None = None) -> Response:
    fmt = fmt or ("json" if request.path.endswith(".json") else "xml")
    return answer(serialize.error(status, description), fmt, "errors", status)


@bp.before_request
def refuse_nul():
    """PostgreSQL text cannot hold a NUL, so a parameter with one names nothing: a 400, not a crash."""
    given = [*map(str, (request.view_args or {}).values()),
             *(text for pair in request.values.items(multi=True) for text in pair)]
    if any("\x00" in (value or "") for value in given):  # a multipart part with no readable name has None
        raise params.BadRequest(_("A parameter contains a NUL character (%(nul)s).", nul="%00"))


@bp.errorhandler(params.BadRequest)
def bad_request(error):
    return failure(error.status, str(error))


@bp.errorhandler(HTTPException)
def http_error(error):
    # The standard knows 400, 403 and 404; anything else a client did wrong is a 400.
    status = error.code if error.code in (403, 404) else 400 if error.code < 500 else error.code
    return failure(status, error.description or error.name)


@bp.get(f"/discovery.{FORMAT}")
@bp.get(f"/v2/discovery.{FORMAT}")
def discovery(fmt):
    changeset = serialize.w3c(current_app.config.get("OPEN311_CHANGESET")) or "2026-11-22T00:00:00Z"
    base = url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0]
    endpoints = [(base, "production")]
    if current_app.config.get("OPEN311_TEST_URL"):  # clients look for the test endpoint first
        endpoints.append((current_app.config["OPEN311_TEST_URL"].rstrip("/"), "test"))
    return answer({
        "changeset": changeset,
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": current_app.config["OPEN311_KEY_SERVICE"],
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": url,
                       "changeset": changeset, "type": kind,
                       "formats": ["text/xml", "application/json"]} for url, kind in endpoints],
    }, fmt, "discovery")


@bp.get("/v2/openapi.json")
def openapi():
    """The OpenAPI document of the JSON API."""
    from flask import jsonify

    from seeclick.open311.openapi import document

    base = url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0]
    return jsonify(document(base, current_app.config["OPEN311_JURISDICTION"]))


@bp.get(f"/v2/services.{FORMAT}")
def services(fmt):
    check_jurisdiction()
    return answer([serialize.service(c) for c in queries.services()], fmt, "services")


@bp.get(f"/v2/services/<service_code>.{FORMAT}")
@bp.get(f"/v2/service/<service_code>.{FORMAT}")  # the singular, as at least one old client asks
def service_definition(service_code, fmt):
    check_jurisdiction()
    category = queries.service(service_code)
    if category is None:
        return failure(404, _("There is no service with the code %(code)r.", code=service_code), fmt)
    return answer(serialize.definition(category), fmt, "service_definition")


@bp.get(f"/v2/requests.{FORMAT}")
def requests(fmt):
    check_jurisdiction()
    chosen = params.request_filter(request.args, zone=city_zone())
    return answer(records(queries.requests(chosen, extended=extended())), fmt, "service_requests")


@bp.get(f"/v2/requests/<service_request_id>.{FORMAT}")
def request_one(service_request_id, fmt):
    check_jurisdiction()
    rows = queries.requests(queries.RequestFilter(ids=[service_request_id]), extended=extended())
    if not rows:
        return failure(404, _("There is no service request %(id)r.", id=service_request_id), fmt)
    return answer(records(rows), fmt, "service_requests")


def city_zone() -> ZoneInfo:
    """The city's time zone: a date without a time (start_date=2026-12-01) is a day there."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def extended() -> bool:
    return request.args.get("extensions", "").lower() == "true"


def api_key_of_request():
    """Each key is throttled on its own; a request without one, by its address."""
    key = params.given(request.values, "api_key")
    return "key:" + digest(key) if key else "addr:" + (request.remote_addr or "")


@bp.post(f"/v2/requests.{FORMAT}")
@limiter.limit(lambda: current_app.config["OPEN311_POST_LIMIT"], key_func=api_key_of_request)
def post_request(fmt):
    """Create a service request: the same checks, routing and mail as the web form."""
    check_jurisdiction()
    code = params.given(request.values, "service_code")
    valid_key, category_id = queries.key_and_service(params.given(request.values, "api_key"), code)
    if not valid_key:
        return failure(403, _("A valid api_key is required to post a service request."), fmt)
    if not code:
        return failure(400, _("service_code is required."), fmt)
    if category_id is None:
        return failure(404, _("There is no service with the code %(code)r.", code=code), fmt)
    where, neighbourhood, approximate = place(fmt)
    media_urls = params.media_urls(request.values)
    staged = []
    for upload in request.files.getlist("media") + request.files.getlist("media[]"):
        if upload and upload.filename:
            try:
                staged.append(photos.stage(upload.read(), upload.filename)[0])
            except PhotoError as error:
                db.session.rollback()
                return failure(400, _("media: %(error)s", error=error), fmt)
    name = " ".join(filter(None, (params.given(request.values, "first_name"),
                                  params.given(request.values, "last_name"))))
    key = request.headers.get("Idempotency-Key", "").strip()
    draft = submission.Draft(
        category_id=category_id, where=where, neighbourhood_code=neighbourhood, approximate=approximate,
        address=params.given(request.values, "address_string"), media_urls=media_urls,
        description=request.values.get("description", "") or "", answers=attributes(request.values),
        photo_tokens=[p.token for p in staged], name=name, email=params.given(request.values, "email"),
        phone=params.given(request.values, "phone"), channel=Channel.OPEN311,
        submission_key=f"open311:{digest(key)[:48]}" if key else "",
    )
    try:
        report, _created = submission.submit(draft)
    except submission.Blocked as blocked:
        db.session.rollback()
        return failure(403, blocked.errors["form"], fmt)
    except submission.Invalid as invalid:
        db.session.rollback()
        return answer([{"code": 400, "description": f"{field}: {message}"}
                       for field, message in invalid.errors.items()], fmt, "errors", 400)
    made = [{"service_request_id": str(report.public_id), "service_notice": submission.expectation(report),
             "account_id": None}]
    db.session.commit()
    return answer(made, fmt, "service_requests")


def place(fmt) -> tuple:
    """Where a posted request is: (lat/long, None, False), (the address_string's point, None, whether it is
    only an area), or (None, the neighbourhood its address_string names, True).

    The standard takes lat and long, an address_string or an address_id. An address_string is found
    by the address search (every word matching one place), or else placed in the neighbourhood it
    names ("245 Eastern Pkwy, Crown Heights (North)"), marked approximate, as the web form does without
    the map.
    """
    lat, lon = params.given(request.values, "lat"), params.given(request.values, "long")
    if lat or lon:
        try:
            return LatLon(lat, lon), None, False
        except OutsideWorld:
            raise params.BadRequest(_("lat and long must be given together, as WGS84 degrees.")) from None
    address = params.given(request.values, "address_string")
    if address:
        located = locate(address)
        if located.found is not None:
            return located.found.where, None, located.found.approximate
        found = naming.named_in(address, known := neighbourhoods.names())
        if len(found) == 1:
            return None, found[0], True
        if found or located.candidates:
            names = dict(known)
            places = [names[code] for code in found] or [candidate.label for candidate in located.candidates]
            raise params.BadRequest(_("address_string %(address)r could be in %(places)s: name one of them, or "
                                      "give lat and long.", address=address[:200], places=", ".join(places)))
        raise params.BadRequest(_("address_string %(address)r was not found: this city finds an address among "
                                  "its address points, ZIP codes and neighbourhoods (such as “Park Slope”) and "
                                  "found none; give lat and long, or write the address as the city does.",
                                  address=address[:200]))
    if params.given(request.values, "address_id"):
        given_id = params.given(request.values, "address_id")[:100]
        raise params.BadRequest(_("address_id %(id)r is not known here: this city keeps no address ids; give lat "
                                  "and long, or an address_string.", id=given_id))
    raise params.BadRequest(_("Say where the problem is: lat and long, or an address_string."))


def attributes(values) -> dict[str, list[str]]:
    """attribute[CODE]=v and attribute[CODE][]=v1&attribute[CODE][]=v2, by code."""
    answers: dict[str, list[str]] = {}
    for name in values:
        if name and name.startswith("attribute[") and "]" in name:  # (a garbled multipart name is None)
            code = name[len("attribute["):name.index("]")]
            answers.setdefault(code, []).extend(values.getlist(name))
    return answers


UPDATES_SPAN = timedelta(days=90)
UPDATES_DEFAULT_WINDOW = timedelta(hours=24)


@bp.get(f"/v2/servicerequestupdates.{FORMAT}")
def request_updates(fmt):
    """FixMyStreet's servicerequestupdates: the public updates made from start_date to end_date, oldest first.

    A FixMyStreet site reads them every few minutes to show a council's changes on its reports. Without
    dates, the last 24 hours. A window holding more than one page is refused unless the client pages
    (page, page_size), never cut short.
    """
    check_jurisdiction()
    now = datetime.now(UTC)
    start = params.given(request.args, "start_date")
    end = params.given(request.args, "end_date")
    end = params.w3c_datetime(end, "end_date", city_zone(), end=True) if end else now
    start = params.w3c_datetime(start, "start_date", city_zone()) if start else end - UPDATES_DEFAULT_WINDOW
    if end < start:
        raise params.BadRequest(_("end_date is before start_date"))
    if end - start > UPDATES_SPAN:
        raise params.BadRequest(_("start_date and end_date may be at most 90 days apart"))
    paged = bool(params.given(request.args, "page") or params.given(request.args, "page_size"))
    page = params.integer(params.given(request.args, "page") or "1", "page", 1, 10**9)
    size = params.page_size(request.args)
    rows = queries.request_updates(start, end, page, size)
    if len(rows) > size and not paged:
        raise params.BadRequest(_("More than %(size)d updates were made between start_date and end_date: ask for a "
                                  "shorter window, or for pages of them with page and page_size.", size=size))
    return answer([serialize.request_update(row, media_url=media_link(row)) for row in rows[:size]], fmt,
                  "service_request_updates")


@bp.post(f"/v2/servicerequestupdates.{FORMAT}")
@limiter.limit(lambda: current_app.config["OPEN311_POST_LIMIT"], key_func=api_key_of_request)
def post_request_update(fmt):
    """A FixMyStreet site's update of a report it sent here (a citizen's comment): put on the public timeline."""
    check_jurisdiction()
    key_id = queries.api_key_id(params.given(request.values, "api_key"))
    if key_id is None:
        return failure(403, _("A valid api_key is required to post a service request update."), fmt)
    missing = [name for name in ("service_request_id", "update_id", "status", "updated_datetime")
               if not params.given(request.values, name)]
    if missing:
        raise params.BadRequest(_("%(fields)s required.", fields=", ".join(missing)))
    params.w3c_datetime(params.given(request.values, "updated_datetime"), "updated_datetime")
    status = params.given(request.values, "status").lower()
    if status not in serialize.FMS_WORDS:
        raise params.BadRequest(_("status must be one of %(words)s", words=", ".join(sorted(serialize.FMS_WORDS))))
    description = (request.values.get("description") or "").strip()
    media_urls = params.media_urls(request.values)
    if not description and not media_urls:
        raise params.BadRequest(_("description is required (or a media_url)."))
    if len(description) > 4000:
        raise params.BadRequest(_("description may be at most 4,000 characters."))
    external_id = params.given(request.values, "update_id")[:200]
    done = queries.posted_update(key_id, external_id)
    if done is None:
        report = queries.report_for_update(params.given(request.values, "service_request_id"))
        if report is None:
            return failure(404, _("There is no service request %(id)r.",
                                  id=params.given(request.values, "service_request_id")[:100]), fmt)
        try:
            done, _made = writes.post_update(key_id, report, external_id, status, description, media_urls)
            db.session.commit()
        except IntegrityError:  # the same update posted twice at once: the other one made it
            db.session.rollback()
            done = queries.posted_update(key_id, external_id)
            if done is None:
                raise
    return answer([{"update_id": str(done)}], fmt, "service_request_updates")


def media_link(row) -> str | None:
    """An update's "after" photo kept here, else the first link given with it (never fetched); none once hidden."""
    if row.hidden_reason is not None:
        return None
    if row.photo_token:
        return url_for("photos.show", token=row.photo_token, _external=True)
    return row.media_link


@bp.get(f"/v2/tokens/<token>.{FORMAT}")
def token(token, fmt):
    """Requests here are made at once (type realtime), so a token only ever names a made request."""
    check_jurisdiction()
    return failure(404, _("There is no pending request with the token %(token)r; this endpoint answers with a "
                          "service_request_id at once.", token=token), fmt)


def records(rows) -> list[dict]:
    """The rows as service requests; rows with a timeline (`extensions=true`) extended with it."""
    return [serialize.request(
        row,
        # A photo kept here, else the link the client gave (never fetched).
        media_url=url_for("photos.show", token=row.photo_token, _external=True) if row.photo_token else row.media_link,
        extensions=serialize.extensions(row, row.timeline) if hasattr(row, "timeline") else None,
    ) for row in rows]


def check_jurisdiction():
    """One city per endpoint: jurisdiction_id may be left out, but if given it must be ours."""
    given = params.given(request.values, "jurisdiction_id")
    if given and given != current_app.config["OPEN311_JURISDICTION"]:
        raise params.BadRequest(_("Unknown jurisdiction_id %(given)r; this endpoint serves %(ours)s.", given=given,
                                  ours=current_app.config["OPEN311_JURISDICTION"]), 404)
