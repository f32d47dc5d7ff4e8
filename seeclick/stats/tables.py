"""The figures of /stats and the neighbourhood pages as table cells: one unit a column, the sample rules applied.

Pure: rows (stats.queries.Row) in, cells out. A time column is in hours when every time in it is
under two days and in days otherwise, never both; a figure from too small a sample is not shown as
a number, and one from a small sample is flagged (stats.figures).
"""

from dataclasses import dataclass, field

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from seeclick.stats.figures import Reliability, Unit, in_unit, reliability, unit_for, wilson
from seeclick.words import number, percent


@dataclass(frozen=True)
class Cell:
    text: str
    flagged: bool = False  # from a small sample: read with care
    note: str = ""  # said beside the number (an interval, how many)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: Unit | None = None

    @property
    def heading(self) -> str:
        return f"{self.label} ({self.unit.label})" if self.unit else str(self.label)


@dataclass
class Table:
    columns: list[Column]
    rows: list[tuple[object, list[Cell]]] = field(default_factory=list)  # (the group's row, its cells)


TIMES = {
    "km_p50": _l("Half closed within"),
    "km_p90": _l("9 in 10 closed within"),
    "close_mean": _l("Mean time to close"),
    "ack_p50": _l("Half answered within"),
}


def too_few() -> Cell:
    return Cell(gettext("too few"), note=gettext("fewer than %(n)d", n=30))


def share(successes: int, trials: int) -> Cell:
    """A share with its 95% interval; not shown from fewer than 30, flagged under 60."""
    kind = reliability(trials)
    if kind is Reliability.TOO_FEW:
        return too_few()
    low, high = wilson(successes, trials)
    return Cell(percent(successes / trials), kind is Reliability.FLAGGED,
                gettext("%(low)s to %(high)s, of %(n)s", low=percent(low), high=percent(high), n=number(trials)))


def time(seconds: float | None, unit: Unit, sample: int, low: float | None = None, high: float | None = None,
         interval: bool = False) -> Cell:
    kind = reliability(sample)
    if kind is Reliability.TOO_FEW:
        return too_few()
    if seconds is None:
        return Cell(gettext("not yet known"), note=gettext("too many still open to tell"))
    note = ""
    if interval:
        note = gettext("%(low)s to %(high)s", low=in_unit(low, unit),
                       high=in_unit(high, unit) if high is not None else gettext("not yet known"))
    return Cell(in_unit(seconds, unit), kind is Reliability.FLAGGED, note)


def figures_table(rows, population: bool = False) -> Table:
    """The comparison table of departments, kinds of problem or neighbourhoods."""
    units = {key: unit_for(getattr(r, key) for r in rows if reliability(r.reports) is not Reliability.TOO_FEW)
             for key in TIMES}
    columns = [Column("reports", _l("Reports")), Column("closed", _l("Closed"))]
    columns += [Column(key, label, units[key]) for key, label in TIMES.items()]
    columns += [Column("on_time", _l("Closed on time")), Column("confirmed", _l("Reporter says fixed")),
                Column("reopened", _l("Reopened")), Column("open", _l("Open now"))]
    if population:
        columns.append(Column("per_thousand", _l("Reports per 1,000 residents")))
    table = Table(columns)
    for r in rows:
        cells = [Cell(number(r.reports)),
                 share(r.closed, r.reports) if r.reports >= 30 else Cell(number(r.closed)),
                 time(r.km_p50, units["km_p50"], r.reports, r.km_p50_low, r.km_p50_high, interval=True),
                 time(r.km_p90, units["km_p90"], r.reports),
                 time(r.close_mean, units["close_mean"], r.closed),
                 time(r.ack_p50, units["ack_p50"], r.acknowledged),
                 share(r.on_time, r.judged), share(r.confirmed, r.answered),
                 Cell(number(r.reopened)), Cell(number(r.open))]
        if population:
            cells.append(Cell(number(r.per_thousand, 1)) if r.per_thousand is not None
                         else Cell("—", note=gettext("no residents")))
        table.rows.append((r, cells))
    return table


def comparison(here, city) -> list[tuple[str, Cell, Cell]]:
    """A neighbourhood's figures beside the city's, a figure a row, each time row in one unit for both."""
    rows = [(gettext("Reports in the last year"), Cell(number(here.reports)), Cell(number(city.reports)))]
    for key, label, sample, interval in (("km_p50", TIMES["km_p50"], "reports", True),
                                         ("km_p90", TIMES["km_p90"], "reports", False),
                                         ("close_mean", TIMES["close_mean"], "closed", False),
                                         ("ack_p50", TIMES["ack_p50"], "acknowledged", False)):
        unit = unit_for((getattr(here, key), getattr(city, key)))
        cells = [time(getattr(r, key), unit, getattr(r, sample), r.km_p50_low, r.km_p50_high, interval=interval)
                 for r in (here, city)]
        rows.append((f"{label} ({unit.label})", *cells))
    rows.append((gettext("Closed on time"), share(here.on_time, here.judged), share(city.on_time, city.judged)))
    rows.append((gettext("Reporter says it was fixed"), share(here.confirmed, here.answered),
                 share(city.confirmed, city.answered)))
    rows.append((gettext("Reopened"), Cell(number(here.reopened)), Cell(number(city.reopened))))
    per = (Cell(number(here.per_thousand, 1)) if here.per_thousand is not None
           else Cell("—", note=gettext("no residents")))
    rows.append((gettext("Reports per 1,000 residents"), per, Cell("")))
    return rows
