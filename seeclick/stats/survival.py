"""The Kaplan-Meier estimate of the time to close from a group's buckets. Pure: numbers in, numbers out.

A closed report is an event at its time to close; a report still open is censored at its age, a merged
duplicate at its merge. At a tie, events come before censoring (lifelines and most texts do the same).
The 95% interval is the "exponential Greenwood" (log-log) one, as lifelines computes it. A percentile
the estimate never reaches (too many still open) is None.
"""

from dataclasses import dataclass

import numpy as np

from seeclick.stats.figures import Z95


@dataclass(frozen=True)
class Estimate:
    p50: float | None
    p50_low: float | None
    p50_high: float | None
    p90: float | None


NONE = Estimate(None, None, None, None)


def estimate(times, events, censored) -> Estimate:
    """From rows of (time, how many closed then, how many censored then), in any order, of one group."""
    t = np.asarray(times, dtype=float)
    d = np.asarray(events, dtype=float)
    c = np.asarray(censored, dtype=float)
    if t.size == 0 or not d.any():
        return NONE
    order = np.lexsort((c > 0, t))  # by time, events before censoring at a tie
    t, d, c = t[order], d[order], c[order]
    at_risk = (d + c).sum() - np.concatenate(([0.0], np.cumsum(d + c)[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        gone = d >= at_risk  # every one left closed here: the estimate falls to zero
        step = np.where((d > 0) & ~gone, np.log1p(-d / at_risk), 0.0)
        log_s = np.cumsum(step)
        s = np.where(np.cumsum(gone) > 0, 0.0, np.exp(log_s))
        g = np.cumsum(np.where((d > 0) & ~gone, d / (at_risk * (at_risk - d)), 0.0))
        inner = (s > 0) & (s < 1)
        spread = np.where(inner, Z95 * np.sqrt(g) / log_s, 0.0)
        loglog = np.where(inner, np.log(-log_s), 0.0)
        low = np.where(inner, np.exp(-np.exp(loglog - spread)), s)
        high = np.where(inner, np.exp(-np.exp(loglog + spread)), s)
    return Estimate(_first(t, s, 0.5), _first(t, low, 0.5), _first(t, high, 0.5), _first(t, s, 0.1))


def _first(t, curve, level) -> float | None:
    """The first time the curve is at or below the level (lifelines' qth_survival_time), or None."""
    below = np.flatnonzero(curve <= level)
    return float(t[below[0]]) if below.size else None
