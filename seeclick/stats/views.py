"""/stats: how fast the city answers, by department, category and neighbourhood."""

from dataclasses import dataclass

from flask import Blueprint, render_template, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from seeclick import maps
from seeclick.neighbourhoods import queries as neighbourhoods
from seeclick.stats import charts, queries, rendered

bp = Blueprint("stats", __name__)


@dataclass(frozen=True)
class Dashboard:
    html: Markup
    map: maps.MapParts


@bp.get("/stats")
def index():
    """The responsiveness dashboard, read from rollups at most a minute old and rendered once per update."""
    dashboard = rendered.kept(("dashboard", queries.folded_at(), str(get_locale())), _dashboard)
    return render_template("stats/index.html", dashboard=dashboard.html, map=dashboard.map)


def _dashboard() -> Dashboard:
    city = queries.city()
    hoods = queries.by("neighbourhood")
    m, legend = maps.choropleth(
        neighbourhoods.outlines(),
        {r.code: r.close_p50 for r in hoods if r.rankable},
        {r.code: (_("half closed within %(days).1f days", days=r.close_p50 / 86400) if r.rankable
                  else _("too few closed reports to tell")) for r in hoods})
    weeks = queries.weekly()
    chart = charts.weekly_line([(format_date(w.week, "MMM d"), w.close_p50 if w.settled else None) for w in weeks],
                               label=_("Median days to close, by week reported"), unit_label=_("days"))
    parts = maps.parts(m)
    html = render_template(
        "stats/_dashboard.html", city=city, departments=queries.by("department"), categories=queries.by("category"),
        neighbourhoods=hoods, map=parts, legend=legend, weeks=weeks, chart=chart, minimum=queries.MINIMUM_TO_RANK,
        neighbourhood_link=lambda row: url_for("neighbourhoods.show", code=row.code))
    return Dashboard(Markup(html), parts)
