"""/stats: how fast the city answers, by department, category and neighbourhood."""

from flask import Blueprint, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from seeclick import maps
from seeclick.home.queries import neighbourhood_outlines
from seeclick.stats import charts, queries

bp = Blueprint("stats", __name__)


@bp.get("/stats")
def index():
    """The responsiveness dashboard, read from rollups at most a minute old."""
    city = queries.city()
    hoods = queries.by("neighbourhood")
    m, legend = maps.choropleth(
        neighbourhood_outlines(),
        {r.code: r.close_p50 for r in hoods if r.rankable},
        {r.code: (_("half closed within %(days).1f days", days=r.close_p50 / 86400) if r.rankable
                  else _("too few closed reports to tell")) for r in hoods})
    weeks = queries.weekly()
    chart = charts.weekly_line([(format_date(w.week, "MMM d"), w.close_p50 if w.settled else None) for w in weeks],
                               label=_("Median days to close, by week reported"), unit_label=_("days"))
    return render_template(
        "stats/index.html", city=city, departments=queries.by("department"), categories=queries.by("category"),
        neighbourhoods=hoods, map=maps.parts(m), legend=legend, weeks=weeks, chart=chart,
        minimum=queries.MINIMUM_TO_RANK,
        neighbourhood_link=lambda row: url_for("neighbourhoods.show", code=row.code))
