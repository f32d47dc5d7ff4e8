"""The optional outside geocoder (Nominatim or Pelias), off by default, against a local server in their format."""

import time
from dataclasses import astuple

import pytest
from sqlalchemy import select

from seeclick.geo import from_db, latlon
from seeclick.reports.models import Report
from tests.test_citizen_reports import report_form
from tests.test_open311 import post


def test_off_by_default_nothing_is_asked(client, api_key, geocoding_server):
    geocoding_server.asked.clear()
    [error] = post(client, status=400, api_key=api_key, service_code="pothole", address_string="Brooklyn Museum",
                   **{"attribute[size]": "small"})
    assert "was not found" in error["description"]
    assert client.get("/addresses/suggest?q=Brooklyn+Museum&find=1").get_json()["suggestions"] == []
    assert geocoding_server.asked == []


@pytest.mark.parametrize("kind", ["nominatim", "pelias"])
def test_open311_places_an_address_the_city_does_not_hold_by_the_geocoder(client, session, api_key, geocoder, kind):
    asked = geocoder(kind)
    [made] = post(client, api_key=api_key, service_code="pothole", address_string="Brooklyn Museum",
                  **{"attribute[size]": "small"})
    report = session.scalar(select(Report).where(Report.public_id == made["service_request_id"]))
    assert astuple(latlon(from_db(report.location))) == (40.6712, -73.9636) and not report.location_approximate
    assert report.department.code == "dot-bk"
    [(path, args)] = asked
    if kind == "nominatim":
        assert path == "/search" and args["q"] == "Brooklyn Museum" and args["format"] == "jsonv2"
        west, north, east, south = (float(v) for v in args["viewbox"].split(","))
        assert args["bounded"] == "1" and west < -73.9636 < east and south < 40.6712 < north  # the city only
    else:
        assert path == "/v1/search" and args["text"] == "Brooklyn Museum"
        assert float(args["boundary.rect.min_lon"]) < -73.9636 < float(args["boundary.rect.max_lon"])


def test_suggestions_as_you_type_never_ask_it_and_an_explicit_search_does(client, geocoder):
    asked = geocoder("nominatim")
    assert client.get("/addresses/suggest?q=Brooklyn+Museum").get_json()["suggestions"] == []
    assert asked == []
    [found] = client.get("/addresses/suggest?q=Brooklyn+Museum&find=1").get_json()["suggestions"]
    assert found["label"].startswith("Brooklyn Museum, 200, Eastern Parkway") and found["id"] is None
    assert (found["lat"], found["lon"], found["approximate"]) == (40.6712, -73.9636, False)
    client.get("/addresses/suggest?q=11238&find=1")  # the city's own ZIP code: no need to ask
    assert len(asked) == 1


def test_without_script_a_place_only_the_geocoder_knows_is_chosen_and_sent(client, session, categories, geocoder):
    geocoder("pelias")
    form = report_form(client, categories, lat="", lon="", step="find-address", address_query="grand army plaza")
    page = client.post("/reports/new", data=form).get_data(as_text=True)
    assert "Grand Army Plaza, Park Slope, Brooklyn" in page
    form.update(step="use-address", address_choice="at:40.674100,-73.970100:Grand Army Plaza, Park Slope, Brooklyn")
    page = client.post("/reports/new", data=form).get_data(as_text=True)
    assert "Placed at Grand Army Plaza, Park Slope, Brooklyn." in page
    assert 'value="Grand Army Plaza, Park Slope, Brooklyn"' in page  # the address field, filled in
    assert 'name="lat" type="hidden" value="40.674100"' in page
    form.update(step="send", lat="40.674100", lon="-73.970100", address="Grand Army Plaza, Park Slope, Brooklyn")
    assert client.post("/reports/new", data=form).status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == form["submission_key"]))
    assert report.address == "Grand Army Plaza, Park Slope, Brooklyn"


@pytest.mark.parametrize("query", ["slow place", "broken place", "failing place"])
def test_a_geocoder_slow_broken_or_failing_counts_as_nothing_found(client, api_key, geocoder, query):
    asked = geocoder("nominatim")
    started = time.monotonic()
    [error] = post(client, status=400, api_key=api_key, service_code="pothole", address_string=query,
                   **{"attribute[size]": "small"})
    assert "was not found" in error["description"] and len(asked) == 1
    assert time.monotonic() - started < 1.9  # the timeout (0.5 s here), not the server's 2 s
