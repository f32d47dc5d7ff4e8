"""/neighbourhoods/<code>: what is broken here, and whether the city answers as fast here as elsewhere."""

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, url_for
from flask_babel import get_locale
from markupsafe import Markup

from seeclick import maps, words
from seeclick.forms import token_input, with_token
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
    shown = (neighbourhood.id, neighbourhood.code, neighbourhood.name, neighbourhood.borough)  # renamed: drawn anew
    folded = stats.folded_at()
    page = rendered.neighbourhood(shown, str(get_locale()), folded, lambda: _here(neighbourhood, folded),
                                  seconds=OPEN_SECONDS)
    drawing = maps.MapParts(page["header"], Markup(page["html"]), Markup(page["script"]))
    return render_template("neighbourhoods/show.html", neighbourhood=neighbourhood, map=drawing,
                           main=with_token(page["main"]))


def _here(neighbourhood, folded) -> dict:
    """Its open reports and their map, what is reported most, its times beside the city's: the map's parts
    (header, html, script) and the page under it (main), as text, drawn with a stand-in for the visitor's form
    token."""
    now = datetime.now(UTC)
    link = url_for("reports.show", public_id="0")[:-1]  # one url_for, not one a report
    open_here, drawn, points, newest = queries.open_on_map(neighbourhood, link, now, listed=LISTED)
    here, city = stats.one("neighbourhood", neighbourhood.id), rendered.by_fold(("city",), folded, stats.city)
    listed = [{"url": link + r.public_id, "name": f"#{r.public_id} · {r.category}", "when": words.when(r.created_at),
               "overdue": bool(r.due_at and r.due_at < now)} for r in newest]
    drawing = maps.neighbourhood_map_parts(queries.outline(neighbourhood), points)
    main = render_template(
        "neighbourhoods/_here.html", neighbourhood=neighbourhood, map=drawing, reports=listed, open=open_here,
        drawn=drawn, top=stats.top_categories(neighbourhood.id), here=here, city=city,
        compare=comparison(here, city) if here and city else [], watch_form=EmailOnlyForm(formdata=None),
        csrf_input=token_input())
    return {"main": str(main), "header": drawing.raw_header, "html": str(drawing.html), "script": str(drawing.script)}
