"""The Open311 deviations a real city meets: an address without a point, media links, large pages, dates alone,
a test endpoint in discovery."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from seeclick.neighbourhoods import naming
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.reports.models import Report
from tests.test_open311 import get, post

NEW_YORK = ZoneInfo("America/New_York")


def test_an_address_that_names_a_neighbourhood_is_placed_there_and_marked_approximate(client, session, api_key):
    [made] = post(client, api_key=api_key, service_code="pothole", address_string="7th Ave & 3rd St, Park Slope",
                  **{"attribute[size]": "small"})
    report = session.scalar(select(Report).where(Report.public_id == made["service_request_id"]))
    assert report.location_approximate and report.address == "7th Ave & 3rd St, Park Slope"
    assert report.neighbourhood.name == "Park Slope"
    assert report.department.code == "dot-bk"  # routed from where it was placed
    [listed] = get(client, f"/open311/v2/requests/{report.public_id}.json")
    assert listed["address"] == "7th Ave & 3rd St, Park Slope"
    assert "Placed without the map" in client.get(f"/reports/{report.public_id}").get_data(as_text=True)


@pytest.mark.parametrize(("address", "says"), [
    ("245 Eastern Pkwy", "was not found"),  # no neighbourhood named: no address search to find it
    ("1 Flatbush Ave", "was not found"),  # a street named after a neighbourhood is a street
    ("Crown Heights", "Crown Heights (North), Crown Heights (South)"),  # two halves: which one?
])
def test_an_address_this_city_cannot_place_gets_a_400_that_says_why(client, session, api_key, address, says):
    [error] = post(client, status=400, api_key=api_key, service_code="pothole", address_string=address,
                   **{"attribute[size]": "small"})
    assert says in error["description"] and "required" not in error["description"]


def test_naming_prefers_the_most_precise_name_and_ignores_streets():
    hoods = [("BK0801", "Crown Heights (North)"), ("BK0901", "Crown Heights (South)"), ("BK0602", "Park Slope"),
             ("BK0601", "Carroll Gardens-Cobble Hill-Gowanus-Red Hook"), ("BK0301", "Bedford-Stuyvesant (West)")]
    assert naming.named_in("Eastern Pkwy, Crown Heights North", hoods) == ["BK0801"]
    assert naming.named_in("Union St, Gowanus", hoods) == ["BK0601"]
    assert naming.named_in("Bedford Ave at Fulton", hoods) == []
    assert naming.named_in("Bedford-Stuyvesant", hoods) == ["BK0301"]
    assert naming.named_in("Crown Heights", hoods) == ["BK0801", "BK0901"]


def test_a_media_url_is_kept_and_shown_as_a_link_never_fetched(client, session, api_key, login_as):
    link = "https://photos.example.org/hole.jpg"
    [made] = post(client, api_key=api_key, service_code="pothole", lat="40.6782", long="-73.9442",
                  media_url=link, **{"attribute[size]": "small"})
    [listed] = get(client, f"/open311/v2/requests/{made['service_request_id']}.json")
    assert listed["media_url"] == link
    page = client.get(f"/reports/{made['service_request_id']}").get_data(as_text=True)
    assert f'href="{link}" rel="nofollow noopener noreferrer ugc"' in page
    login_as("staff", "dot-bk")
    assert link in client.get(f"/staff/reports/{made['service_request_id']}").get_data(as_text=True)


@pytest.mark.parametrize("link", ["not a url", "javascript:alert(1)", "ftp://example.org/x", "https://", "/relative"])
def test_a_media_url_that_is_not_a_web_address_is_refused(client, session, api_key, link):
    [error] = post(client, status=400, api_key=api_key, service_code="pothole", lat="40.6782", long="-73.9442",
                   media_url=link, **{"attribute[size]": "small"})
    assert "media_url" in error["description"]


@pytest.mark.parametrize("size", ["1001", "5000", "0"])
def test_a_page_size_beyond_the_maximum_is_refused_with_the_maximum(client, size):
    for fmt in ("json", "xml"):
        body = get(client, f"/open311/v2/requests.{fmt}?page_size={size}", 400)
        description = body[0]["description"] if fmt == "json" else body.find("error/description").text
        assert "1 to 1000" in description


def test_the_largest_page_is_served_whole(client, make_report):
    for _ in range(3):
        make_report()
    assert len(get(client, "/open311/v2/requests.json?page_size=1000")) >= 3


def test_dates_alone_are_days_and_months_of_the_city(client, make_report):
    day = datetime(2026, 12, 1, tzinfo=NEW_YORK)
    inside = [make_report(created_at=day + timedelta(hours=h)) for h in (0, 23.9)]
    make_report(created_at=day - timedelta(minutes=1))  # 30 November, 23:59 in New York
    later = make_report(created_at=day + timedelta(days=20))

    def found(query):
        return {r["service_request_id"] for r in get(client, f"/open311/v2/requests.json?{query}")}

    assert found("start_date=2026-12-01&end_date=2026-12-01") == {r.public_id for r in inside}
    assert found("start_date=2026-12&end_date=2026-12") == {r.public_id for r in [*inside, later]}
    assert found("start_date=2026-12-01T00:00:00-05:00&end_date=2026-12-01") == {r.public_id for r in inside}
    for bad in ("start_date=2026-13", "start_date=2026-02-30", "end_date=12-2026"):
        get(client, f"/open311/v2/requests.json?{bad}", 400)


def test_discovery_lists_the_test_endpoint_when_one_is_configured(app, client):
    assert [e["type"] for e in get(client, "/open311/discovery.json")["endpoints"]] == ["production"]
    app.config["OPEN311_TEST_URL"] = "https://test.seeclick.example/open311/v2/"
    try:
        endpoints = get(client, "/open311/discovery.json")["endpoints"]
        xml = get(client, "/open311/discovery.xml")
    finally:
        app.config["OPEN311_TEST_URL"] = ""
    assert [(e["type"], e["url"]) for e in endpoints][1] == ("test", "https://test.seeclick.example/open311/v2")
    assert [t.text for t in xml.iter("type")] == ["production", "test"]
    assert all(e["formats"] == ["text/xml", "application/json"] for e in endpoints)


def test_neighbourhoods_keep_codes_of_any_length(session):
    long_code = "NYC-BROOKLYN-COMMUNITY-DISTRICT-08-NORTH"
    hood = session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Park Slope"))
    hood.code = long_code
    session.flush()
    assert session.scalar(select(Neighbourhood.code).where(Neighbourhood.id == hood.id)) == long_code
