"""/neighbourhoods/<code>: what is broken here, and whether the city answers as fast here as elsewhere."""

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, url_for

from seeclick import maps
from seeclick.neighbourhoods import queries
from seeclick.reports.forms import EmailOnlyForm
from seeclick.stats import queries as stats

bp = Blueprint("neighbourhoods", __name__)


@bp.get("/neighbourhoods/<code>")
def show(code):
    neighbourhood = queries.by_code(code) or abort(404)
    now = datetime.now(UTC)
    reports = queries.open_reports(neighbourhood)
    points = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
         "properties": {"id": f"#{r.public_id}", "category": r.category,
                        "overdue": bool(r.due_at and r.due_at < now),
                        "url": url_for("reports.show", public_id=r.public_id)}} for r in reports]}
    m = maps.neighbourhood_map(queries.outline(neighbourhood), points)
    return render_template(
        "neighbourhoods/show.html", neighbourhood=neighbourhood, reports=reports[:20], open=queries.open_count(
            neighbourhood), drawn=len(reports), top=stats.top_categories(neighbourhood.id),
        here=stats.one("neighbourhood", neighbourhood.id), city=stats.city(), map=maps.parts(m),
        minimum=stats.MINIMUM_TO_RANK, now=now, watch_form=EmailOnlyForm())
