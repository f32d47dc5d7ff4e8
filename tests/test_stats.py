"""Response-time statistics: the rollups agree with an independent computation, and the page says it honestly."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select, text

from seeclick.demo import generate
from seeclick.geo import LatLon
from seeclick.models import Status
from seeclick.stats import queries


def independent(session, where="", params=None):
    """The same figures computed in Python from the raw rows: numpy's linear percentile is percentile_cont."""
    rows = session.execute(text(
        "SELECT created_at, acknowledged_at, closed_at, due_at, status FROM report "
        f"WHERE created_at >= now() - interval '365 days' {where}"), params or {}).all()
    now = session.scalar(text("SELECT now()"))
    ack = [(a - c).total_seconds() for c, a, *_ in rows if a is not None]
    close = [(x - c).total_seconds() for c, _, x, _, s in rows if x is not None and s != Status.DUPLICATE]
    judged = [r for r in rows if (r[2] is not None and r[4] != Status.DUPLICATE) or (r[2] is None and r[3] <= now)]
    on_time = [r for r in judged if r[2] is not None and r[2] <= r[3]]
    return {
        "reports": len(rows), "open": sum(1 for r in rows if r[2] is None), "closed": len(close),
        "acknowledged": len(ack),
        "ack_p50": np.percentile(ack, 50) if ack else None, "ack_p90": np.percentile(ack, 90) if ack else None,
        "close_p50": np.percentile(close, 50) if close else None,
        "close_p90": np.percentile(close, 90) if close else None,
        "on_time": len(on_time), "judged": len(judged),
    }


def figures(row):
    return {k: getattr(row, k) for k in ("reports", "open", "closed", "acknowledged", "ack_p50", "ack_p90",
                                         "close_p50", "close_p90", "on_time", "judged")}


def test_the_rollups_agree_with_an_independent_computation_on_generated_reports(session):
    result = generate.generate(4000, seed=21, bad_share=0.02)
    assert sum(result.rejected.values()) > 0  # impossible timestamps were excluded, and counted
    queries.refresh()
    city = queries.city()
    assert figures(city) == pytest.approx(independent(session), rel=1e-9)
    assert 0 < city.open < city.reports  # still-open reports are there, and not counted as closed
    busiest = max(queries.by("department"), key=lambda r: r.reports)
    assert figures(busiest) == pytest.approx(
        independent(session, "AND department_id = :d", {"d": busiest.group_id}), rel=1e-9)


def test_open_duplicate_and_reopened_reports_are_not_counted_as_closed(session, make_report, departments):
    now = datetime.now(UTC)
    made = now - timedelta(days=10)
    for hours in (10, 20, 30):
        make_report(created_at=made, acknowledged_at=made + timedelta(hours=1), status=Status.FIXED,
                    closed_at=made + timedelta(hours=hours), due_at=made + timedelta(hours=25))
    make_report(created_at=made, status=Status.DUPLICATE, closed_at=made + timedelta(minutes=5))
    make_report(created_at=made, due_at=made + timedelta(days=3))  # open, and overdue
    make_report(created_at=made, acknowledged_at=made + timedelta(hours=2), status=Status.ACKNOWLEDGED)  # reopened
    queries.refresh()
    row = queries.one("department", departments["dot-bk"].id)
    assert (row.reports, row.closed, row.open) == (6, 3, 2)
    assert row.close_p50 == 20 * 3600 and row.ack_p50 == 3600  # the duplicate's 5 minutes do not count
    assert (row.on_time, row.judged) == (2, 4)  # two of three closed by their due time; the open one is late
    assert not row.rankable  # three closed reports say nothing about a department


def test_a_small_group_is_shown_but_never_ranked_above_a_large_one(session, make_report, departments):
    now = datetime.now(UTC)
    made = now - timedelta(days=20)
    for i in range(queries.MINIMUM_TO_RANK):  # Brooklyn: thirty potholes, each closed in about two days
        make_report(created_at=made, status=Status.FIXED, closed_at=made + timedelta(hours=48 + i))
    make_report(where=LatLon(40.7580, -73.9855), created_at=made,
                status=Status.FIXED, closed_at=made + timedelta(minutes=4))  # Manhattan: one, in four minutes
    queries.refresh()
    ranked = queries.by("department")
    names = [r.name for r in ranked]
    assert names.index(departments["dot-bk"].name) < names.index(departments["dot-mn"].name)
    assert ranked[0].name == departments["dot-bk"].name and not ranked[names.index(departments["dot-mn"].name)].rankable


def test_the_dashboard_shows_the_figures_the_map_and_the_week_by_week_chart(client, session, make_report):
    now = datetime.now(UTC)
    for i in range(40):
        made = now - timedelta(days=3 + i)
        make_report(created_at=made, status=Status.FIXED, closed_at=made + timedelta(days=2))
    make_report(category="street-light-out", created_at=now - timedelta(days=5), status=Status.FIXED,
                closed_at=now - timedelta(days=4, hours=23))
    queries.refresh()
    page = client.get("/stats").get_data(as_text=True)
    assert "How fast the city answers" in page and "Half closed within" in page
    assert "2 days" in page  # every pothole was closed in two days
    assert "<svg" in page and "Median days to close" in page
    assert page.index("Pothole") < page.index("Street light out")  # one quick light is not ranked first
    assert "(too few closed to rank)" in page
    assert "folium-map" in page


def test_the_rollups_refresh_every_minute_through_the_job_queue(session):
    from seeclick import jobs

    jobs.queue.perform_import_paths()
    periodic = {task.name for task in jobs.queue.tasks.values() if task.name == "refresh_stats"}
    assert periodic == {"refresh_stats"}
    assert any(p.cron == "* * * * *" and p.task.name == "refresh_stats"
               for p in jobs.queue.periodic_registry.periodic_tasks.values())


def test_a_neighbourhood_page_shows_what_is_open_and_compares_with_the_city(client, session, make_report):
    from seeclick.models import Neighbourhood

    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    now = datetime.now(UTC)
    late = make_report(neighbourhood=crown, description="Late", created_at=now - timedelta(days=9),
                       due_at=now - timedelta(days=2))
    make_report(neighbourhood=crown, status=Status.FIXED, created_at=now - timedelta(days=5),
                closed_at=now - timedelta(days=4))
    make_report(category="street-light-out", description="Elsewhere")  # no neighbourhood: not here
    queries.refresh()
    page = client.get("/neighbourhoods/BK0802").get_data(as_text=True)
    assert "Crown Heights (North)" in page and "The whole city" in page
    assert f"#{late.public_id}" in page and "overdue" in page
    assert "Pothole: 2" in page and "Street light out" not in page
    assert "too few to compare fairly" in page
    assert client.get("/neighbourhoods/XX9999").status_code == 404
