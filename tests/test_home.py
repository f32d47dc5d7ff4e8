"""The home page: the city on a map, from our own static files."""

import re

import pytest


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
