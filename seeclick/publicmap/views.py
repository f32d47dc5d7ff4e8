"""/map: every report in the city on one map, as vector tiles; /map/tiles/<z>/<x>/<y>.pbf."""

from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from seeclick import maps
from seeclick.caching import Kept
from seeclick.publicmap import queries, tiles
from seeclick.publicmap.queries import MapFilter
from seeclick.reports.models import Status

bp = Blueprint("publicmap", __name__)

STATUSES = ("open", "closed", "all")  # open first: what is broken now is what most visitors ask


def read_filter(args) -> tuple[MapFilter, dict[str, str]]:
    """The filter the query string asks for, and a message for each part that could not be used."""
    errors = {}
    category = args.get("category", "").strip()
    department = args.get("department", "").strip()
    status = args.get("status", "").strip() or "open"
    category_id = queries.category_id(category) if category else None
    department_id = queries.department_id(department) if department else None
    if category and category_id is None:
        errors["category"] = _("There is no such kind of problem.")
    if department and department_id is None:
        errors["department"] = _("There is no such department.")
    if status not in STATUSES:
        errors["status"] = _("Choose open, closed, or open and closed.")
    since, until = _month(args.get("from"), "from", errors), _month(args.get("to"), "to", errors)
    if since and until and since > until and "to" not in errors:
        errors["to"] = _("The last month comes after the first.")
    if errors:
        return MapFilter(), errors
    return MapFilter(category_id=category_id, department_id=department_id, status=status, since=since,
                     until=until), {}


def _month(value, name, errors) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        errors[name] = _("A month such as 2026-03.")
        return None


def _query(args) -> dict:
    """The filter's own parameters, for the tile URL and the links beside the map."""
    return {k: args[k] for k in ("category", "department", "status", "from", "to") if args.get(k, "").strip()}


_options: Kept[tuple] = Kept("the map's filter <option>s, by the choices themselves", limit=16)


def options(rows: tuple, chosen: str | None) -> Markup:
    """An <option> for each (id, code, name) row, the one whose code is `chosen` selected.

    Written once per list of choices and kept (the key is the rows themselves, so a renamed department is
    shown at once): written in the template, the 160 departments' options were a third of the page's time.
    """
    written, each = _options.get(rows, lambda: _write_options(rows))
    if chosen in each:
        plain = each[chosen]
        return Markup(written.replace(plain, plain.replace(">", " selected>", 1), 1))
    return Markup(written)


def _write_options(rows) -> tuple[str, dict[str, str]]:
    each = {code: str(Markup('<option value="%s">%s</option>') % (code, name)) for _, code, name in rows}
    return "".join(each.values()), each


@bp.get("/map")
def index():
    categories, departments = queries.choices()
    chosen, errors = read_filter(request.args)
    query = {} if errors else _query(request.args)
    tile_url = url_for("publicmap.tile", z=0, x=0, y=0, **query).replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf")
    total, open_ = queries.totals(chosen)
    export = {k: v for k, v in query.items() if k in ("category", "department")}
    return render_template(
        "publicmap/index.html", map=maps.kept_parts(("reports", tile_url), lambda: maps.reports_map(tile_url)),
        category_options=options(categories, request.args.get("category")),
        department_options=options(departments, request.args.get("department")),
        # A dict: the template asks for keys that are not there, and a MultiDict makes an HTTP error for each.
        args=request.args.to_dict(), errors=errors, total=total, open=open_, statuses=STATUSES, status=chosen.status,
        points_from=tiles.POINTS_FROM_ZOOM, export_url=url_for("opendata.export_csv", **export),
        map_text={"reports": _("reports"), "open": _("open"), "zoom": _("Zoom in to see each report."),
                  "report": _("Report"), "made": _("Made"), "see": _("See the report"),
                  "statuses": {status.value: str(status.label) for status in Status}})


@bp.get("/map/tiles/<int:z>/<int:x>/<int:y>.pbf")
def tile(z, x, y):
    if not tiles.valid(z, x, y):
        abort(404)
    chosen, errors = read_filter(request.args)
    if errors:
        return Response("\n".join(errors.values()) + "\n", status=400, mimetype="text/plain")
    body = queries.tile(z, x, y, chosen)
    response = Response(body, mimetype="application/vnd.mapbox-vector-tile")
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["MAP_TILE_MAX_AGE"]
    return response
