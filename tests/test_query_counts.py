"""Pages that list reports send the same few statements whether they list three reports or thirty.

A page that read one more row per report (a lazy load, a query in a loop) would grow with the city;
each page here is counted with 3 and with 30 reports, and both counts must match and stay within
the page's budget.
"""

import math

import pytest

from seeclick import caching
from seeclick.publicmap import tiles
from tests.conftest import CROWN_HEIGHTS


def tile_at(z, where):
    """The (z, x, y) of the Web-Mercator tile holding a point."""
    n = 1 << z
    x = int((where.lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(where.lat))) / math.pi) / 2 * n)
    return z, x, y


STREET = tile_at(tiles.POINTS_FROM_ZOOM, CROWN_HEIGHTS)

# page, signed in as staff of dot-bk?, the statements it sends today (a new one must be chosen, and written here)
PAGES = [
    ("/staff/queue", True, 7),
    ("/staff/queue/map", True, 5),
    ("/map", False, 3),
    ("/map/tiles/{}/{}/{}.pbf".format(*STREET), False, 1),
    ("/open311/v2/requests.json", False, 1),
    ("/open311/v2/requests.json?extensions=true", False, 2),
    ("/open311/v2/requests.xml?status=open", False, 1),
    ("/neighbourhoods/BK0802", False, 8),
    ("/export/reports.csv", False, 1),
]


@pytest.mark.parametrize("path, staff, budget", PAGES, ids=[p[0] for p in PAGES])
def test_a_list_of_reports_costs_the_same_statements_for_any_number_of_them(
        client, login_as, make_report, count_queries, path, staff, budget):
    if staff:
        login_as("staff", "dot-bk")
    counts = []
    for more in (3, 27):  # 3 reports, then 30
        for _ in range(more):
            make_report()
        caching.forget_all()  # nothing kept from before: the page is drawn from the reports
        with count_queries() as counted:
            response = client.get(path)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            response.get_data()
        counts.append(counted)
    few, many = counts
    assert len(few) == len(many), f"with 3 reports: {few!r}\nwith 30 reports: {many!r}"
    assert len(many) <= budget, repr(many)


def test_a_report_sent_costs_its_two_statements_and_both_are_counted(client, categories, count_queries):
    """The submission runs on the raw cursor for speed; the counter still sees each statement."""
    from tests.test_citizen_reports import report_form

    data = report_form(client, categories, email="ana@example.org")
    with count_queries() as counted:
        response = client.post("/reports/new", data=data)
    assert response.status_code == 303
    sent = [s for s in counted.statements if "route_candidates(" in s or s.startswith(("INSERT", "WITH"))]
    assert [s.split()[0] for s in sent] == ["SELECT", "WITH", "WITH"], repr(counted)  # route, report, receipt
    assert "INSERT INTO report" in sent[1] and "INSERT INTO notification" in sent[2]
