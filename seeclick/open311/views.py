"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests."""

from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from seeclick.extensions import csrf
from seeclick.open311 import params, queries, serialize

bp = Blueprint("open311", __name__, url_prefix="/open311")
csrf.exempt(bp)

FORMAT = "<any(json, xml):fmt>"


def answer(document, fmt, root, status=200, headers=None) -> Response:
    body, content_type = serialize.render(document, fmt, root)
    return Response(body, status=status, content_type=content_type, headers=headers)


def failure(status: int, description: str, fmt: str | None = None) -> Response:
    fmt = fmt or ("json" if request.path.endswith(".json") else "xml")
    return answer(serialize.error(status, description), fmt, "errors", status)


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
    return answer({
        "changeset": changeset,
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": current_app.config["OPEN311_KEY_SERVICE"],
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": changeset, "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }, fmt, "discovery")


@bp.get(f"/v2/services.{FORMAT}")
def services(fmt):
    check_jurisdiction()
    return answer([serialize.service(c) for c in queries.services()], fmt, "services")


@bp.get(f"/v2/services/<code>.{FORMAT}")
@bp.get(f"/v2/service/<code>.{FORMAT}")  # the singular, as at least one old client asks
def service_definition(code, fmt):
    check_jurisdiction()
    category = queries.service(code)
    if category is None:
        return failure(404, f"There is no service with the code {code!r}.", fmt)
    return answer(serialize.definition(category), fmt, "service_definition")


@bp.get(f"/v2/requests.{FORMAT}")
def requests(fmt):
    check_jurisdiction()
    chosen = params.request_filter(request.args)
    rows = queries.requests(chosen)
    return answer(records(rows, extended=request.args.get("extensions", "").lower() == "true"), fmt,
                  "service_requests")


@bp.get(f"/v2/requests/<service_request_id>.{FORMAT}")
def request_one(service_request_id, fmt):
    check_jurisdiction()
    rows = queries.requests(queries.RequestFilter(ids=[service_request_id]))
    if not rows:
        return failure(404, f"There is no service request {service_request_id!r}.", fmt)
    return answer(records(rows, extended=request.args.get("extensions", "").lower() == "true"), fmt,
                  "service_requests")


def records(rows, extended: bool) -> list[dict]:
    timelines = queries.timelines([r.id for r in rows]) if extended else {}
    return [serialize.request(
        row,
        media_url=url_for("reports.photo", token=row.photo_token, _external=True) if row.photo_token else None,
        extensions=serialize.extensions(row, timelines[row.id]) if extended else None,
    ) for row in rows]


def check_jurisdiction():
    """One city per endpoint: jurisdiction_id may be left out, but if given it must be ours."""
    given = params.given(request.values, "jurisdiction_id")
    if given and given != current_app.config["OPEN311_JURISDICTION"]:
        raise params.BadRequest(f"Unknown jurisdiction_id {given!r}; this endpoint serves "
                                f"{current_app.config['OPEN311_JURISDICTION']}.", 404)
