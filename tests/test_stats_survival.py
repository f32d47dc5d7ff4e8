"""Times to close that count the reports still open: the rollups' Kaplan-Meier figures against lifelines."""

import random
from datetime import timedelta

import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times
from sqlalchemy import text

from seeclick.reports.models import Status
from seeclick.stats import queries, services

# Each event sits at its bucket's mean (2% wide), each open report's age within 2% of it: the estimates
# may move by a bucket or so from the exact ones.
TOLERANCE = 0.025  # a bucket (2% wide) and a little


@pytest.fixture
def now(session):
    return session.scalar(text("SELECT now()"))


def made_and_known(make_report, now, rng, count, open_share=0.3, duplicate_share=0.08):
    """Reports of dot-bk with times from a long-tailed mix, and (duration, closed?) for each, as lifelines reads
    them: a report still open is censored at its age, a merged duplicate at its merge."""
    durations, events = [], []
    for _ in range(count):
        created = now - timedelta(days=rng.uniform(0.5, 200), seconds=rng.uniform(0, 3600))
        took = timedelta(hours=rng.lognormvariate(3.6, 1.3))
        kind = rng.random()
        if kind < open_share or created + took >= now:
            make_report(created_at=created, due_at=created + timedelta(days=5))
            durations.append((now - created).total_seconds())
            events.append(0)
        elif kind < open_share + duplicate_share:
            merged = created + timedelta(hours=rng.uniform(0.1, 30))
            make_report(created_at=created, due_at=created + timedelta(days=5), status=Status.DUPLICATE,
                        closed_at=min(merged, now - timedelta(seconds=1)))
            durations.append((min(merged, now - timedelta(seconds=1)) - created).total_seconds())
            events.append(0)
        else:
            make_report(created_at=created, due_at=created + timedelta(days=5), status=Status.FIXED,
                        closed_at=created + took)
            durations.append(took.total_seconds())
            events.append(1)
    return durations, events


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ApproximationWarning")  # its interval's median
@pytest.mark.parametrize("seed, open_share", [(14, 0.3), (15, 0.05), (16, 0.55)])
def test_the_kaplan_meier_median_and_90th_percentile_agree_with_lifelines(session, make_report, departments, now,
                                                                          seed, open_share):
    durations, events = made_and_known(make_report, now, random.Random(seed), 400, open_share)
    services.rebuild(now)
    row = queries.one("department", departments["dot-bk"].id)
    assert row.reports == len(durations) and row.closed == sum(events)

    fitted = KaplanMeierFitter().fit(durations, events)
    median = fitted.median_survival_time_
    low, high = median_survival_times(fitted.confidence_interval_).iloc[0]
    p90 = fitted.percentile(0.1)

    def agrees(ours, theirs):
        if theirs == float("inf"):
            return ours is None  # the estimate never got there: too many still open to tell
        return ours == pytest.approx(theirs, rel=TOLERANCE)

    assert agrees(row.km_p50, median), (row.km_p50, median)
    assert agrees(row.km_p50_low, low), (row.km_p50_low, low)
    assert agrees(row.km_p50_high, high), (row.km_p50_high, high)
    assert agrees(row.km_p90, p90), (row.km_p90, p90)
    if row.km_p50 is not None:
        assert row.km_p50_low <= row.km_p50 <= (row.km_p50_high or float("inf"))
    # The closed reports alone look quicker than they are whenever slow ones are still open.
    if open_share > 0.2:
        assert row.close_p50 < (row.km_p50 or float("inf"))


def test_folding_change_by_change_gives_the_kaplan_meier_figures_a_rebuild_gives(session, make_report, departments,
                                                                                 now):
    services.rebuild(now)
    made_and_known(make_report, now, random.Random(3), 150)
    services.fold()
    folded = queries.one("department", departments["dot-bk"].id)
    services.rebuild(queries.folded_at())
    rebuilt = queries.one("department", departments["dot-bk"].id)
    for name in ("km_p50", "km_p50_low", "km_p50_high", "km_p90", "close_mean"):
        ours, theirs = getattr(folded, name), getattr(rebuilt, name)
        assert (ours is None and theirs is None) or ours == pytest.approx(theirs, rel=1e-9), name


def test_every_week_and_month_has_its_estimate_with_the_reports_still_open(session, make_report, now):
    durations, events = made_and_known(make_report, now, random.Random(9), 200, open_share=0.4)
    services.rebuild(now)
    weeks, months = queries.weekly(weeks=40), queries.monthly(months=8)
    assert sum(w.reports for w in weeks) == sum(m.reports for m in months) == len(durations)
    with_open = [w for w in weeks if w.open and w.km_p50 is not None]
    assert with_open, "weeks with reports still open have an estimate that counts them"
    assert all(w.km_p50_low <= w.km_p50 for w in with_open)
    assert any(m.km_p50 is not None and m.open for m in months)


def test_shares_have_wilson_intervals_small_samples_are_hidden_or_flagged_and_units_never_mix():
    from seeclick.stats.figures import Reliability, Score, Unit, in_unit, reliability, unit_for, wilson

    low, high = wilson(45, 50)
    assert low == pytest.approx(0.7864, abs=1e-3) and high == pytest.approx(0.9565, abs=1e-3)  # Wilson, 95%
    assert wilson(0, 0) is None and wilson(0, 10)[0] == 0
    assert [reliability(n) for n in (29, 30, 59, 60)] == [Reliability.TOO_FEW, Reliability.FLAGGED,
                                                          Reliability.FLAGGED, Reliability.SOUND]
    assert unit_for([3600, 47 * 3600]) is Unit.HOURS and unit_for([3600, 49 * 3600]) is Unit.DAYS
    assert in_unit(7200, Unit.DAYS) == "0.08" and in_unit(36 * 3600, Unit.HOURS) == "36"
    fresh = Score(on_time=20, judged=20, goal=0.85, pending=40)
    assert not fresh.settled  # the quick ones alone would flatter a week still being judged
    assert Score(on_time=80, judged=100, goal=0.8, pending=5).value == pytest.approx(1.0)


def test_every_groups_estimate_is_made_again_within_a_round_of_folds(session, make_report, now):
    made_and_known(make_report, now, random.Random(4), 120)
    services.rebuild(now)
    groups = session.scalar(text("SELECT count(*) FROM stats_result"))
    first = now + timedelta(minutes=1)
    for minute in range(1, -(-groups // services.SURVIVAL_ROUND) + 1):
        services.fold(now + timedelta(minutes=minute))
    oldest = session.scalar(text("SELECT min(km_at) FROM stats_result"))
    assert oldest >= first  # no group's reports still open are censored at an age older than the round
