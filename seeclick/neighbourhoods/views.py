"""/neighbourhoods/<code>: what is broken here, and whether the city answers as fast here as elsewhere."""

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, url_for
from flask_babel import get_locale

from seeclick import maps, words
from seeclick.neighbourhoods import queries
from seeclick.reports.forms import EmailOnlyForm
from seeclick.stats import queries as stats
from seeclick.stats import rendered
from seeclick.stats.tables import comparison

bp = Blueprint("neighbourhoods", __name__)

# What is open here is shown at most this old: the map of a busy neighbourhood takes a while to draw.
OPEN_SECONDS = 30
LISTED = 20  # the newest open reports listed under the map


@bp.get("/neighbourhoods/<code>")
def show(code):
    neighbourhood = queries.by_code(code) or abort(404)
    page = rendered.neighbourhood(neighbourhood.id, str(get_locale()), stats.folded_at(), lambda: _here(neighbourhood),
                                  seconds=OPEN_SECONDS)
    return render_template("neighbourhoods/show.html", neighbourhood=neighbourhood, **page,
                           minimum=stats.MINIMUM_TO_RANK, watch_form=EmailOnlyForm())


def _here(neighbourhood) -> dict:
    """Its open reports and their map, what is reported most, its times beside the city's."""
    now = datetime.now(UTC)
    link = url_for("reports.show", public_id="0")[:-1]  # one url_for, not one a report
    open_here, drawn, points = queries.open_on_map(neighbourhood, link, now)
    here, city = stats.one("neighbourhood", neighbourhood.id), stats.city()
    # Written out here, so a page drawn from what is kept formats no times and builds no links (a tenth of
    # its time).
    listed = [{"url": link + r.public_id, "name": f"#{r.public_id} · {r.category}", "when": words.when(r.created_at),
               "overdue": bool(r.due_at and r.due_at < now)} for r in queries.open_reports(neighbourhood, LISTED)]
    return {"reports": listed, "open": open_here,
            "drawn": drawn, "top": stats.top_categories(neighbourhood.id), "here": here, "city": city,
            "compare": comparison(here, city) if here and city else [],
            "map": maps.neighbourhood_map_parts(queries.outline(neighbourhood), points), "now": now}
