"""Response-time statistics: the rollups agree with an independent computation, follow every change and the
passing of time, and the pages say it honestly."""

import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select, text

from seeclick.accounts.models import Role, User
from seeclick.demo import generate
from seeclick.geo import LatLon
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Report, Status
from seeclick.stats import queries, services

# Times are read from buckets 2% wide: a median or 90th percentile is within 2% of the exact one (within a
# second below a second). Open reports' creation times are kept in buckets at most 2% of their age wide.
TOLERANCE = services.BUCKET_RATIO - 1
COUNTS = ("reports", "open", "closed", "acknowledged", "on_time", "judged")
TIMES = ("ack_p50", "ack_p90", "close_p50", "close_p90")


def independent(session, at, where="", params=None):
    """The same figures at time `at`, computed in Python from the raw rows: numpy's linear percentile is
    percentile_cont."""
    rows = session.execute(text(
        "SELECT created_at, acknowledged_at, closed_at, due_at, status FROM report "
        f"WHERE created_at >= CAST(:at AS timestamptz) - interval '365 days' {where}"),
        {"at": at, **(params or {})}).all()
    ack = [(a - c).total_seconds() for c, a, *_ in rows if a is not None]
    close = [(x - c).total_seconds() for c, _, x, _, s in rows if x is not None and s != Status.DUPLICATE]
    open_ages = [(at - c).total_seconds() for c, _, x, *_ in rows if x is None]
    judged = [r for r in rows if (r[2] is not None and r[4] != Status.DUPLICATE) or (r[2] is None and r[3] <= at)]
    on_time = [r for r in judged if r[2] is not None and r[2] <= r[3]]

    def p(values, q):
        return float(np.percentile(values, q)) if values else None

    return {
        "reports": len(rows), "open": len(open_ages), "closed": len(close), "acknowledged": len(ack),
        "on_time": len(on_time), "judged": len(judged),
        "ack_p50": p(ack, 50), "ack_p90": p(ack, 90), "close_p50": p(close, 50), "close_p90": p(close, 90),
        "open_age_p50": p(open_ages, 50),
    }


def assert_agrees(row, expected):
    """Counts exactly; times within the buckets' width."""
    assert row is not None and expected["reports"] > 0
    assert {k: getattr(row, k) for k in COUNTS} == {k: expected[k] for k in COUNTS}
    for key in TIMES:
        if expected[key] is None:
            assert getattr(row, key) is None, key
        else:
            assert getattr(row, key) == pytest.approx(expected[key], rel=TOLERANCE, abs=1), key
    if expected["open_age_p50"] is None:
        assert row.open_age_p50 is None
    else:
        assert row.open_age_p50 == pytest.approx(expected["open_age_p50"], rel=TOLERANCE, abs=60)


def figures(row):
    return {k: getattr(row, k) for k in (*COUNTS, *TIMES, "open_age_p50")}


def all_results(session):
    rows = session.execute(text("SELECT * FROM stats_result ORDER BY dimension, group_id")).mappings().all()
    return {(r["dimension"], r["group_id"]): dict(r) for r in rows}


SURVIVAL = ("km_p50", "km_p50_low", "km_p50_high", "km_p90", "km_at")


def assert_same_results(folded, rebuilt):
    """The incrementally kept figures are the ones a rebuild from the reports gives; the Kaplan-Meier estimates of
    a group alike when the fold made them at the same time (their open reports censored at the same age)."""
    assert folded.keys() == rebuilt.keys()
    for key, row in folded.items():
        same_moment = row["km_at"] == rebuilt[key]["km_at"]
        for column, value in row.items():
            if column in SURVIVAL and not same_moment:
                continue
            if isinstance(value, float):
                assert value == pytest.approx(rebuilt[key][column], rel=1e-9), (key, column)
            else:
                assert value == rebuilt[key][column], (key, column)


@pytest.fixture
def admin(session):
    user = User(email="admin@city.example", role=Role.ADMIN, name="An administrator")
    user.set_password("correct horse battery staple")
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def now(session):
    return session.scalar(text("SELECT now()"))


def test_the_rollups_agree_with_an_independent_computation_on_generated_reports(session, admin):
    services.fold()  # the rollups as they were; everything below is folded in change by change
    result = generate.generate(4000, seed=21, bad_share=0.02)
    assert sum(result.rejected.values()) > 0  # impossible timestamps were excluded, and counted
    for report in session.scalars(select(Report).where(Report.status == Status.FIXED).limit(60)).all():
        lifecycle.reopen(report, admin, "It is back.")  # reopened: open again, no longer counted as closed
    folded = services.fold()
    # Recorded: a row for each report made (not those made over 365 days ago), two for each reopened.
    assert not folded.rebuilt and result.inserted * 0.9 < folded.recorded <= result.inserted + 2 * 60
    at = queries.folded_at()

    city = queries.city()
    assert_agrees(city, independent(session, at))
    assert 0 < city.open < city.reports  # still-open reports are there, and not counted as closed
    for dimension in ("department", "category", "neighbourhood"):
        busiest = max(queries.by(dimension), key=lambda r: r.reports)
        assert_agrees(busiest, independent(session, at, f"AND {dimension}_id = :g", {"g": busiest.group_id}))
    for week in queries.weekly(weeks=3):
        expected = independent(session, at, "AND date_trunc('week', created_at AT TIME ZONE 'UTC')::date = :w",
                               {"w": week.week})
        assert (week.reports, week.closed, week.open) == (expected["reports"], expected["closed"], expected["open"])
        assert week.close_p50 == (expected["close_p50"] and pytest.approx(expected["close_p50"], rel=TOLERANCE, abs=1))

    folded_figures = all_results(session)
    services.rebuild(at)
    assert_same_results(folded_figures, all_results(session))


def test_open_duplicate_and_reopened_reports_are_not_counted_as_closed(session, make_report, departments):
    now = datetime.now(UTC)
    made = now - timedelta(days=10)
    for hours in (10, 20, 30):
        make_report(created_at=made, acknowledged_at=made + timedelta(hours=1), status=Status.FIXED,
                    closed_at=made + timedelta(hours=hours), due_at=made + timedelta(hours=25))
    make_report(created_at=made, status=Status.DUPLICATE, closed_at=made + timedelta(minutes=5))
    make_report(created_at=made, due_at=made + timedelta(days=3))  # open, and overdue
    make_report(created_at=made, acknowledged_at=made + timedelta(hours=2), status=Status.ACKNOWLEDGED)  # reopened
    services.fold()
    row = queries.one("department", departments["dot-bk"].id)
    assert (row.reports, row.closed, row.open) == (6, 3, 2)
    assert row.close_p50 == 20 * 3600 and row.ack_p50 == 3600  # the duplicate's 5 minutes do not count
    assert (row.on_time, row.judged) == (2, 4)  # two of three closed by their due time; the open one is late
    assert not row.rankable  # three closed reports say nothing about a department


def test_each_change_is_reflected_after_the_job_runs(session, make_report, departments, categories, admin, now):
    made = now - timedelta(days=10)
    first, second, third, fourth = (make_report(created_at=made, due_at=made + timedelta(days=20)) for _ in range(4))
    services.fold()
    brooklyn, queens = departments["dot-bk"].id, departments["dot-qn"].id

    def here():
        row = queries.one("department", brooklyn)
        return row.reports, row.open, row.acknowledged, row.closed

    assert here() == (4, 4, 0, 0)
    lifecycle.acknowledge(first, admin)
    assert here() == (4, 4, 0, 0)  # not before the job runs
    services.fold()
    assert here() == (4, 4, 1, 0)
    assert queries.one("department", brooklyn).ack_p50 == pytest.approx(10 * 86400, rel=TOLERANCE)

    lifecycle.close(first, admin, Status.FIXED, "Filled.")
    services.fold()
    assert here() == (4, 3, 1, 1) and queries.one("department", brooklyn).on_time == 1
    assert queries.one("department", brooklyn).close_p50 == pytest.approx(10 * 86400, rel=TOLERANCE)

    lifecycle.reopen(first, admin, "It opened up again.")
    services.fold()
    assert here() == (4, 4, 1, 0)  # censored again: not a close
    assert queries.one("department", brooklyn).close_p50 is None

    lifecycle.reassign(second, admin, departments["dot-qn"], "It is across the borough line.")
    services.fold()
    assert here() == (3, 3, 1, 0)
    assert (queries.one("department", queens).reports, queries.one("department", queens).open) == (1, 1)

    lifecycle.merge(third, first, admin)
    services.fold()
    assert here() == (3, 2, 2, 0)  # a duplicate's merge is not a close; the merge was an answer

    session.execute(text("DELETE FROM report WHERE id = :id"), {"id": fourth.id})
    services.fold()
    assert here() == (2, 1, 2, 0)

    first.category = categories["street-sign"]
    session.flush()
    services.fold()
    assert queries.one("category", categories["street-sign"].id).open == 1
    assert queries.one("category", categories["pothole"].id).open == 1  # the reassigned one, in Queens
    assert queries.city().reports == 3


def test_reports_leave_the_window_365_days_after_they_were_made(session, make_report, admin, now):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    old = make_report(neighbourhood=crown, created_at=now - timedelta(days=365) + timedelta(hours=1),
                      status=Status.FIXED, closed_at=now - timedelta(days=300), due_at=now - timedelta(days=360))
    make_report(neighbourhood=crown, created_at=now - timedelta(days=1))
    services.rebuild(now)
    assert queries.city().reports == 2 and queries.top_categories(crown.id) == [("Pothole", 2)]
    oldest_week = queries.weekly(weeks=60)[0]
    assert oldest_week.reports == 1

    services.fold(now + timedelta(minutes=30))
    assert queries.city().reports == 2
    services.fold(now + timedelta(hours=2))
    city = queries.city()
    assert (city.reports, city.closed, city.open, city.close_p50) == (1, 0, 1, None)
    assert queries.top_categories(crown.id) == [("Pothole", 1)]
    assert oldest_week.week not in {w.week for w in queries.weekly(weeks=60)}

    lifecycle.reopen(old, admin, "Reopened long after.")  # a change to a report already out of the window
    services.fold(now + timedelta(hours=3))
    assert (queries.city().reports, queries.city().open) == (1, 1)


def test_an_open_report_counts_as_late_once_its_due_time_has_passed(session, make_report, admin, now):
    report = make_report(created_at=now - timedelta(hours=5), due_at=now - timedelta(minutes=90))
    services.rebuild(now - timedelta(hours=3))  # the figures as they were three hours ago
    assert (queries.city().judged, queries.city().on_time) == (0, 0)
    assert queries.city().on_time_share is None
    services.fold(now - timedelta(minutes=91))
    assert queries.city().judged == 0
    services.fold(now - timedelta(minutes=60))
    assert (queries.city().judged, queries.city().on_time_share) == (1, 0)
    lifecycle.close(report, admin, Status.FIXED, "Done, late.")  # closed after its due time: still late
    services.fold(now)
    assert (queries.city().judged, queries.city().on_time, queries.city().closed) == (1, 0, 1)


def test_the_median_age_of_open_reports_follows_time_as_their_buckets_widen(session, make_report, now):
    for age in (timedelta(minutes=3), timedelta(minutes=40), timedelta(hours=5), timedelta(days=2),
                timedelta(days=9), timedelta(days=40), timedelta(days=200)):
        make_report(created_at=now - age)
    services.rebuild(now)
    assert queries.city().open_age_p50 == pytest.approx(2 * 86400, rel=TOLERANCE)
    for later in (timedelta(minutes=20), timedelta(hours=7), timedelta(days=3), timedelta(days=100)):
        services.fold(now + later)
        assert_agrees(queries.city(), independent(session, now + later))
    widths = session.execute(text("SELECT DISTINCT tier FROM stats_open")).scalars().all()
    assert max(widths) > 10  # the oldest are in buckets of over a week now


def test_an_open_reports_creation_bucket_is_at_most_two_percent_of_its_age_wide(session):
    def tier(minute, now_minute):  # the definition: the widest 2^k-minute bucket that ended 50 widths ago
        return max([k for k in range(31) if ((minute >> k) + 51) << k <= now_minute], default=0)

    rng = random.Random(3)
    now_minute = 29_000_000
    ages = [0, 1, 50, 51, 52, 101, 102, 51 * 2**7, 51 * 2**7 + 1, *(rng.randint(0, 600_000) for _ in range(400))]
    got = session.execute(text("SELECT a, stats_open_tier(:now - a, :now) FROM unnest(CAST(:ages AS bigint[])) a"),
                          {"now": now_minute, "ages": ages}).all()
    assert {age: k for age, k in got} == {age: tier(now_minute - age, now_minute) for age in ages}
    assert all((1 << k) <= max(1, age / 50) for age, k in got)


def test_random_changes_over_time_keep_the_figures_a_rebuild_gives(session, make_report, departments, now):
    rng = random.Random(5)
    hoods = session.scalars(select(Neighbourhood).order_by(Neighbourhood.code).limit(4)).all()
    categories = ("pothole", "street-light-out", "missed-collection", "noise-residential")
    places = (LatLon(40.6782, -73.9442), LatLon(40.7580, -73.9855), LatLon(40.7282, -73.7949))
    ids = []
    services.rebuild(now)
    for step in range(8):
        at = now + timedelta(days=step * 7, hours=rng.randint(0, 23))
        for _ in range(25):
            made = at - timedelta(days=rng.uniform(0, 370))
            report = make_report(category=rng.choice(categories), where=rng.choice(places),
                                 neighbourhood=rng.choice([*hoods, None]), created_at=made,
                                 due_at=made + timedelta(hours=rng.choice([8, 48, 240, 2000])))
            ids.append(report.id)
        for report_id in rng.sample(ids, k=min(len(ids), 30)):
            made = session.scalar(text("SELECT created_at FROM report WHERE id = :id"), {"id": report_id})
            when = made + timedelta(hours=rng.uniform(0, 400))
            change = rng.choice(("ack", "close", "duplicate", "reopen", "move", "delete"))
            statement = {
                "ack": "UPDATE report SET acknowledged_at = coalesce(acknowledged_at, :when) WHERE id = :id",
                "close": "UPDATE report SET status = 'fixed', closed_at = :when, "
                         "acknowledged_at = least(coalesce(acknowledged_at, :when), :when) "
                         "WHERE id = :id AND closed_at IS NULL",
                "duplicate": "UPDATE report SET status = 'duplicate', closed_at = :when WHERE id = :id "
                             "AND closed_at IS NULL",
                "reopen": "UPDATE report SET status = 'acknowledged', closed_at = NULL, "
                          "acknowledged_at = coalesce(acknowledged_at, closed_at) WHERE id = :id",
                "move": "UPDATE report SET department_id = :department WHERE id = :id",
                "delete": "DELETE FROM report WHERE id = :id",
            }[change]
            session.execute(text(statement), {"id": report_id, "when": when,
                                              "department": rng.choice(list(departments.values())).id})
            if change == "delete":
                ids.remove(report_id)
        services.fold(at)
    folded = all_results(session)
    assert_agrees(queries.city(), independent(session, at))
    services.rebuild(at)
    rebuilt = all_results(session)
    assert_same_results(folded, rebuilt)
    # Every group the last fold counted a change in was estimated again then, the city among them.
    assert folded[("city", 0)]["km_at"] == at and sum(r["km_at"] == at for r in folded.values()) > 10


def test_a_bulk_load_rebuilds_the_rollups_instead_of_recording_each_report(session, make_report, monkeypatch):
    def recorded():
        return session.scalar(text("SELECT count(*) FROM stats_delta"))

    services.fold()
    with services.unrecorded():
        make_report()
    assert recorded() == 0
    make_report()
    assert recorded() == 1

    @contextmanager
    def in_bulk(cur, table, rows, progress, minimum):  # the bulk path, without taking the table's indexes away
        yield True

    monkeypatch.setattr(generate, "bulk_load", in_bulk)
    generate.generate(1500, seed=4)
    assert recorded() == 0
    assert_agrees(queries.city(), independent(session, queries.folded_at()))


def test_a_small_group_is_shown_but_never_ranked_above_a_large_one(session, make_report, departments):
    now = datetime.now(UTC)
    made = now - timedelta(days=20)
    for i in range(queries.MINIMUM_TO_RANK):  # Brooklyn: thirty potholes, each closed in about two days
        make_report(created_at=made, status=Status.FIXED, closed_at=made + timedelta(hours=48 + i))
    make_report(where=LatLon(40.7580, -73.9855), created_at=made,
                status=Status.FIXED, closed_at=made + timedelta(minutes=4))  # Manhattan: one, in four minutes
    services.fold()
    ranked = queries.by("department")
    names = [r.name for r in ranked]
    assert names.index(departments["dot-bk"].name) < names.index(departments["dot-mn"].name)
    assert ranked[0].name == departments["dot-bk"].name and not ranked[names.index(departments["dot-mn"].name)].rankable


def test_the_dashboard_shows_the_figures_the_map_and_the_week_by_week_chart(client, session, make_report):
    now = datetime.now(UTC)
    earlier = now - timedelta(days=3)
    monday = (earlier - timedelta(days=earlier.weekday())).replace(hour=1, minute=0, second=0, microsecond=0)
    for i in range(40):  # one week's potholes (all made in the same week): enough to show as a number
        made = monday + timedelta(minutes=i)
        make_report(created_at=made, status=Status.FIXED, closed_at=made + timedelta(days=2))
    make_report(category="street-light-out", created_at=now - timedelta(days=5), status=Status.FIXED,
                closed_at=now - timedelta(days=4, hours=23))
    services.fold()
    page = client.get("/stats").get_data(as_text=True)
    assert "How fast the city answers" in page and "Half closed within" in page
    assert "2 days" in page  # every pothole was closed in two days
    assert "<svg" in page and "Half closed within, by week reported, with its 95% interval" in page
    assert page.index("Pothole") < page.index("Street light out")  # one quick light is not ranked first
    light = page[page.index("Street light out"):]
    assert light.index("too few") < light.index("</tr>")  # one report: no figure shown as a number
    assert "folium-map" in page


def test_the_dashboard_is_drawn_once_each_time_the_figures_change(client, session, make_report, now):
    from sqlalchemy import event

    from seeclick.extensions import db

    made = now - timedelta(days=3)
    make_report(created_at=made, status=Status.FIXED, closed_at=made + timedelta(days=1))
    services.fold()
    statements = []

    def count(*args):
        statements.append(args[2])

    def reads():
        return [s for s in statements if s.startswith("SELECT")]

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert "<dt>Reports</dt><dd>1</dd>" in client.get("/stats").get_data(as_text=True)
        assert len(reads()) > 5
        make_report(created_at=made, status=Status.FIXED, closed_at=made + timedelta(days=2))
        statements.clear()
        assert "<dt>Reports</dt><dd>1</dd>" in client.get("/stats").get_data(as_text=True)  # the same figures
        assert reads() == ["SELECT folded_at FROM stats_state"]  # only when they were last brought up to date
        services.fold(now + timedelta(minutes=1))
        assert "<dt>Reports</dt><dd>2</dd>" in client.get("/stats").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_new_open_report_is_on_its_neighbourhood_page_once_the_job_has_run(client, session, make_report, now):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    services.fold()
    assert "No open reports here now." in client.get("/neighbourhoods/BK0802").get_data(as_text=True)
    report = make_report(neighbourhood=crown, created_at=now - timedelta(hours=1))
    services.fold(now + timedelta(minutes=1))
    assert f"#{report.public_id}" in client.get("/neighbourhoods/BK0802").get_data(as_text=True)


def test_the_rollups_are_kept_every_minute_through_the_job_queue(session):
    from seeclick import jobs

    jobs.queue.perform_import_paths()
    periodic = {task.name for task in jobs.queue.tasks.values() if task.name == "refresh_stats"}
    assert periodic == {"refresh_stats"}
    assert any(p.cron == "* * * * *" and p.task.name == "refresh_stats"
               for p in jobs.queue.periodic_registry.periodic_tasks.values())


def test_a_neighbourhood_page_shows_what_is_open_and_compares_with_the_city(client, session, make_report):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    now = datetime.now(UTC)
    late = make_report(neighbourhood=crown, description="Late", created_at=now - timedelta(days=9),
                       due_at=now - timedelta(days=2))
    make_report(neighbourhood=crown, status=Status.FIXED, created_at=now - timedelta(days=5),
                closed_at=now - timedelta(days=4))
    make_report(category="street-light-out", description="Elsewhere")  # no neighbourhood: not here
    services.fold()
    page = client.get("/neighbourhoods/BK0802").get_data(as_text=True)
    assert "Crown Heights (North)" in page and "The whole city" in page
    assert f"#{late.public_id}" in page and "overdue" in page
    assert "Pothole: 2" in page and "Street light out" not in page
    assert "too few" in page and "fewer than 30" in page  # two reports here: no figure shown as a number
    assert client.get("/neighbourhoods/XX9999").status_code == 404
