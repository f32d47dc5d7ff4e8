"""The home page: the city on a map, from our own static files."""

import re

import pytest
from sqlalchemy import select, text

from seeclick.moderation import services as moderation
from seeclick.moderation.models import Reason
from seeclick.publicmap import queries as publicmap
from seeclick.reports import services
from seeclick.reports.models import Report, Status
from tests.test_citizen_reports import report_form


@pytest.fixture
def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_home_page_shows_the_city_and_its_neighbourhoods(home):
    assert "New York City" in home
    assert "L.map(" in home and "Greenpoint" in home and "MN0301" in home
    assert re.search(r"Neighbourhoods</dt><dd>262<", home)


def test_the_home_page_loads_no_script_or_style_from_another_origin(client, home):
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', home)
    assert sources, "the page should load Leaflet"
    assert all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        response = client.get(source)
        response.close()
        assert response.status_code == 200, source
    assert "cdn" not in home.lower() and "jquery" not in home.lower()


def test_the_home_page_is_light(home):
    assert len(home.encode()) < 600_000


@pytest.mark.parametrize("accept", [None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8"])
def test_an_unknown_page_is_a_page_for_people(client, accept):
    response = client.get("/nowhere", headers={"Accept": accept} if accept else {})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "<h1>Not Found</h1>" in response.get_data(as_text=True)


def test_an_unknown_page_is_json_for_api_clients(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["error"] == "Not Found"


def test_pages_declare_their_language(home):
    assert '<html lang="en">' in home


def counts_shown(client) -> tuple[int, int]:
    page = client.get("/").get_data(as_text=True)
    return tuple(int(re.search(rf"{label}</dt><dd>([\d,]+)<", page)[1].replace(",", ""))
                 for label in ("Open reports", "Closed reports"))


def counted(session) -> tuple[int, int]:
    return tuple(session.execute(text("SELECT count(*) FILTER (WHERE closed_at IS NULL), "
                                      "count(*) FILTER (WHERE closed_at IS NOT NULL) FROM report")).one())


def test_the_home_page_counts_every_report_at_once(client, session, categories, make_report, make_user):
    """Read from the map's rollup, the counts are the reports' own: folded by the worker or not yet, hidden ones too."""
    before = counted(session)
    for _ in range(3):
        make_report()
    publicmap.fold()  # the worker's minute: these three are in map_cell now, the rest wait in map_delta
    assert counts_shown(client) == counted(session) == (before[0] + 3, before[1])
    assert client.post("/reports/new", data=report_form(client, categories, key="k-home")).status_code == 303
    assert counts_shown(client) == (before[0] + 4, before[1])  # the next page already counts it
    first, second = session.scalars(select(Report).order_by(Report.id.desc()).limit(2)).all()
    services.close(first, make_user("staff", "dot-bk"), Status.FIXED, "Patched.")
    moderation.hide_report(second, make_user("manager", "dot-bk", email="mod@city.example"), Reason.SPAM)
    session.flush()
    assert counts_shown(client) == counted(session) == (before[0] + 3, before[1] + 1)
    publicmap.fold()
    assert counts_shown(client) == counted(session)
