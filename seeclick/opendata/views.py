"""/export/reports.{csv,geojson} (streamed open data) and /feeds/<kind>/<code>.atom."""

import csv
import io
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

from flask import Blueprint, Response, abort, current_app, request, stream_with_context, url_for
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


@bp.get("/export/reports.csv")
def export_csv():
    """Every report (or those of a neighbourhood, department, category or dates) as CSV, streamed."""
    chosen, since, until = read_filters()
    found = queries.reports(chosen, since, until)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(queries.FIELDS)
        for number, row in enumerate(found, start=1):
            writer.writerow(["" if v is None else _value(v) for v in row])
            if number % 1000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(rows()), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=reports.csv"})


@bp.get("/export/reports.geojson")
def export_geojson():
    """The same rows as a GeoJSON FeatureCollection, streamed feature by feature."""
    chosen, since, until = read_filters()
    found = queries.reports(chosen, since, until)

    def features():
        yield '{"type": "FeatureCollection", "features": ['
        chunk = []
        for number, row in enumerate(found):
            properties = {k: _value(v) for k, v in zip(queries.FIELDS, row, strict=True) if k not in ("lat", "lon")}
            chunk.append(("," if number else "") + json.dumps(
                {"type": "Feature", "properties": properties,
                 # A report taken from the public by a moderator has no place here (RFC 7946: an unlocated feature).
                 "geometry": {"type": "Point", "coordinates": [float(row.lon), float(row.lat)]}
                 if row.lat is not None else None}, ensure_ascii=False))
            if len(chunk) >= 500:
                yield "".join(chunk)
                chunk = []
        yield "".join(chunk) + "]}"

    return Response(stream_with_context(features()), content_type="application/geo+json; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=reports.geojson"})


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
