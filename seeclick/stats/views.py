"""/stats: how fast the city answers, and whether "closed" meant "fixed", by department, kind of problem and
neighbourhood; /stats/methodology says how each figure is made; /stats/figures.csv holds them all."""

import csv
import io
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from seeclick import maps
from seeclick.neighbourhoods import queries as neighbourhoods
from seeclick.stats import charts, queries, rendered
from seeclick.stats.figures import HIDE_BELOW, Reliability, Score, reliability, unit_for, wilson
from seeclick.stats.tables import figures_table
from seeclick.words import percent, short_day

bp = Blueprint("stats", __name__)


@dataclass(frozen=True)
class Dashboard:
    html: Markup
    map: maps.MapParts


@bp.get("/stats")
def index():
    """The responsiveness dashboard, read from rollups at most a minute old and rendered once per update."""
    dashboard = rendered.by_fold(("dashboard", str(get_locale())), queries.folded_at(), _dashboard)
    return render_template("stats/index.html", dashboard=dashboard.html, map=dashboard.map)


def goal() -> float:
    return current_app.config["ON_TIME_GOAL"]


def _dashboard() -> Dashboard:
    city = queries.city()
    hoods = queries.by("neighbourhood")
    shown = [r for r in hoods if reliability(r.reports) is not Reliability.TOO_FEW and r.km_p50 is not None]
    m, legend = maps.choropleth(
        neighbourhoods.outlines(),
        {r.code: r.km_p50 for r in shown},
        {r.code: (_("half closed within %(days).1f days", days=r.km_p50 / 86400) if r in shown
                  else _("too few reports to tell")) for r in hoods})
    weeks, months = queries.weekly(), queries.monthly()
    unit = unit_for(w.km_p50 for w in weeks)
    chart = charts.weekly_line(
        [(short_day(w.week), w.km_p50 if reliability(w.reports) is not Reliability.TOO_FEW else None,
          w.km_p50_low, w.km_p50_high) for w in weeks],
        unit=unit.seconds,
        label=_("Half closed within, by week reported, with its %(level)s interval", level=percent(0.95)),
        unit_label=str(unit.label))
    parts = maps.parts(m)
    html = render_template(
        "stats/_dashboard.html", city=city, departments=figures_table(queries.by("department")),
        categories=figures_table(queries.by("category")), neighbourhoods=figures_table(hoods, population=True),
        map=parts, legend=legend, weeks=weeks, week_unit=unit, chart=chart, minimum=HIDE_BELOW,
        scores=[(w, score(w)) for w in weeks], monthly_scores=[(m_, score(m_)) for m_ in months], goal=goal(),
        neighbourhood_link=lambda row: url_for("neighbourhoods.show", code=row.code), wilson=wilson,
        reliability=reliability)
    return Dashboard(Markup(html), parts)


def score(period) -> Score:
    """A week's or month's target score; its reports open and not yet due are waiting to be judged."""
    return Score(period.on_time, period.judged, goal(), pending=max(0, period.closed + period.open - period.judged))


@bp.get("/stats/methodology")
def methodology():
    """What each figure means, from which event to which, the sample rules, and the targets' history."""
    return render_template("stats/methodology.html", goal=goal(), minimum=HIDE_BELOW,
                           targets=queries.target_history(), folded_at=queries.folded_at())


FIGURES = ["dimension", "code", "name", "reports", "closed", "open", "acknowledged", "reopened",
           "median_hours_to_close", "median_hours_low", "median_hours_high", "p90_hours_to_close",
           "mean_hours_to_close", "median_hours_to_acknowledge", "on_time", "judged", "on_time_share",
           "on_time_low", "on_time_high", "answered", "confirmed_fixed", "confirmed_share", "confirmed_low",
           "confirmed_high", "population", "reports_per_1000", "sample", "as_of"]


@bp.get("/stats/figures.csv")
def figures_csv():
    """Every group's figures, as the pages show them before the sample rules hide small ones."""
    def hours(seconds):
        return "" if seconds is None else f"{seconds / 3600:.2f}"

    def share(k, n):
        bounds = wilson(k, n)
        return ["", "", ""] if bounds is None else [f"{k / n:.4f}", f"{bounds[0]:.4f}", f"{bounds[1]:.4f}"]

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIGURES)
    groups = [("city", queries.city())] + [(d, r) for d in ("department", "category", "neighbourhood")
                                           for r in queries.by(d)]
    groups += [("week", w) for w in queries.weekly(weeks=53)] + [("month", m) for m in queries.monthly()]
    as_of = queries.folded_at()
    for dimension, r in groups:
        if r is None:
            continue
        if dimension in ("week", "month"):
            code, name, acknowledged, reopened, p90, mean, ack = r.start.isoformat(), "", "", "", None, None, None
            answered = confirmed = population = None
        else:
            code, name, acknowledged, reopened = r.code, r.name, r.acknowledged, r.reopened
            p90, mean, ack = r.km_p90, r.close_mean, r.ack_p50
            answered, confirmed, population = r.answered, r.confirmed, r.population
        writer.writerow([
            dimension, code, name, r.reports, r.closed, r.open, acknowledged, reopened,
            hours(r.km_p50), hours(r.km_p50_low), hours(r.km_p50_high), hours(p90), hours(mean), hours(ack),
            r.on_time, r.judged, *share(r.on_time, r.judged),
            "" if answered is None else answered, "" if confirmed is None else confirmed,
            *(share(confirmed, answered) if answered is not None else ["", "", ""]),
            "" if population is None else population,
            f"{r.reports * 1000 / population:.2f}" if population else "",
            reliability(r.reports).value, as_of.isoformat() if as_of else ""])
    return Response(buffer.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=figures.csv"})
