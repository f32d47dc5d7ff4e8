"""/export/reports.{csv,geojson} (streamed open data) and /feeds/<kind>/<code>.atom."""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import gettext as _

from seeclick import languages
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.opendata import queries
from seeclick.words import status_label

bp = Blueprint("opendata", __name__)

KINDS = {"neighbourhoods": (Neighbourhood, "neighbourhood"), "departments": (Department, "department"),
         "categories": (Category, "category")}


def read_filters():
    chosen = {name: request.args.get(name, "").strip() for name in queries.FILTERS}
    try:
        since = _day(request.args.get("since"))
        until = _day(request.args.get("until"))
    except ValueError:
        abort(400, _("since and until are dates such as 2026-11-01."))
    return chosen, since, until


def _day(value):
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)


def _value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return float(value)
    return value


# An export is as long as the city: a streamed response (chunked, so without a length) that may run for minutes,
# under gunicorn's threaded workers (gunicorn.conf.py), which a long response does not get killed. Only the last
# chunk, the terminating zero-length one, says it is complete: a client that did not get it (curl: "transfer
# closed with outstanding read data remaining", exit 18; requests: ChunkedEncodingError) holds a cut file.
# The README says how a client checks.


@bp.get("/export/reports.csv")
def export_csv():
    """Every report (or those of a neighbourhood, department or category, or between dates) as CSV, streamed."""
    chosen, since, until = read_filters()
    batches = queries.csv_lines(chosen, since, until)

    def lines():
        yield ",".join(queries.FIELDS) + "\r\n"  # line ends as RFC 4180 and Python's csv module write them
        for batch in batches:
            yield "\r\n".join(batch) + "\r\n"

    response = Response(lines(), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=reports.csv"})
    response.call_on_close(batches.close)  # also when the client leaves, or never reads (HEAD)
    return response


@bp.get("/export/reports.geojson")
def export_geojson():
    """The same rows as a GeoJSON FeatureCollection, streamed feature by feature."""
    chosen, since, until = read_filters()
    batches = queries.geojson_features(chosen, since, until)

    def features():
        yield '{"type": "FeatureCollection", "features": [\n'
        first = True
        for batch in batches:
            if first:
                batch[0], first = batch[0][1:], False  # every feature comes after a comma but the first
            yield "\n".join(batch) + "\n"
        yield "]}\n"

    response = Response(features(), content_type="application/geo+json; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=reports.geojson"})
    response.call_on_close(batches.close)
    return response


@bp.get("/feeds/<kind>/<code>.atom")
def feed(kind, code):
    """An Atom feed of the newest reports in a neighbourhood, a department or a category."""
    if kind not in KINDS:
        abort(404)
    model, filter_name = KINDS[kind]
    group = queries.group(model, code) or abort(404)
    rows = queries.latest({filter_name: code})
    root = Element("feed", {"xmlns": "http://www.w3.org/2005/Atom",
                            "xml:lang": languages.html_tag(languages.current())})
    SubElement(root, "title").text = _("%(name)s: new reports · %(city)s", name=group.name,
                                       city=current_app.config["CITY_NAME"])
    itself = url_for(".feed", kind=kind, code=code, lang=languages.known(request.args.get("lang")),
                     _external=True)
    SubElement(root, "id").text = itself
    SubElement(root, "link", rel="self", href=itself)
    SubElement(root, "updated").text = _value(rows[0].created_at if rows else datetime.now(UTC))
    for row in rows:
        entry = SubElement(root, "entry")
        link = url_for("reports.show", public_id=row.public_id, _external=True)
        SubElement(entry, "title").text = f"#{row.public_id} · {row.category} · {status_label(row.status)}"
        SubElement(entry, "id").text = link
        SubElement(entry, "link", href=link)
        SubElement(entry, "updated").text = _value(row.closed_at or row.acknowledged_at or row.created_at)
        SubElement(entry, "published").text = _value(row.created_at)
        SubElement(entry, "summary").text = _("%(category)s in %(where)s, sent to %(department)s.",
                                              category=row.category, where=row.neighbourhood or "—",
                                              department=row.department)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode").encode()
    return Response(body, content_type="application/atom+xml; charset=utf-8")
