"""Finding a place by its address: the import, the suggestions, the form without script, and Open311."""

import gzip
import json
from dataclasses import astuple

import pytest
from sqlalchemy import func, select

from seeclick.addresses import words
from seeclick.addresses.models import Address
from seeclick.geo import from_db, latlon
from seeclick.reports.models import Report
from tests.test_citizen_reports import report_form
from tests.test_open311 import post

HEADER = "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n"
# Real places in Brooklyn and Manhattan, written as the city's OpenAddresses file writes them.
ROWS = [
    "-73.9636,40.6717,245,EASTERN PARKWAY,,Brooklyn,,NY,11238,3029260021,a1",
    "-73.9626,40.6719,200,EASTERN PARKWAY,,Brooklyn,,NY,11238,3011820001,a2",
    "-74.0110,40.7060,100,BROADWAY,,New York,,NY,10005,1000480007,a3",
    "-73.9612,40.6940,100,BROADWAY,,Brooklyn,,NY,11249,3021340001,a4",
    "-73.9967,40.7335,10,WEST 10TH STREET,,New York,,NY,10011,1005730001,a5",
    "-73.9442,40.6782,1245,BEDFORD AVENUE,,Brooklyn,,NY,11216,3012080001,a6",
]


def write_csv(tmp_path, rows=ROWS, name="addresses.csv", header=HEADER):
    path = tmp_path / name
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def addresses_held(session):
    return session.scalar(select(func.count()).select_from(Address).where(Address.kind == "address"))


@pytest.fixture
def imported(cli, tmp_path):
    result = cli.invoke(args=["addresses", "import", str(write_csv(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "imported 6 addresses" in result.output


def suggestions(client, query):
    response = client.get("/addresses/suggest", query_string={"q": query})
    assert response.status_code == 200 and response.content_type == "application/json"
    return [s["label"] for s in response.get_json()["suggestions"]]


def test_an_address_is_one_set_of_words_however_it_is_written():
    assert words.tokens("245 EASTERN PARKWAY") == words.tokens("245 Eastern Pkwy.") == ["245", "eastern", "pkwy"]
    assert words.tokens("West 10th Street") == words.tokens("W 10 St") == ["w", "10", "st"]
    assert words.tokens("108-15 Queens Blvd") == ["108-15", "queens", "blvd"]
    assert words.tokens("37A Main St") == ["37a", "main", "st"]
    assert words.tokens("7th Ave & 3rd") == ["7", "ave", "&", "3"]
    assert words.display("EASTERN PARKWAY") == "Eastern Parkway" and words.display("WEST 10TH ST") == "West 10th St"
    assert words.display("St. Marks Place") == "St. Marks Place"


def test_suggestions_come_as_you_type_the_address(client, imported):
    assert suggestions(client, "245 eastern p") == ["245 Eastern Parkway, Brooklyn 11238"]
    assert suggestions(client, "245 EASTERN PKWY") == ["245 Eastern Parkway, Brooklyn 11238"]
    # Both numbers of the street, but not 2450: a number is a whole word once the next one is typed.
    assert set(suggestions(client, "eastern pkwy")) == {"245 Eastern Parkway, Brooklyn 11238",
                                                       "200 Eastern Parkway, Brooklyn 11238"}
    assert suggestions(client, "w 10th st") == ["10 West 10th Street, New York 10011"]
    assert suggestions(client, "100 broadway 11249") == ["100 Broadway, Brooklyn 11249"]
    assert suggestions(client, "245 western") == []
    assert suggestions(client, "") == [] and suggestions(client, "%_\\") == []


def test_the_point_of_a_suggestion_is_the_address_point(client, imported):
    [found] = client.get("/addresses/suggest?q=1245 bedford").get_json()["suggestions"]
    assert (found["lat"], found["lon"], found["approximate"]) == (40.6782, -73.9442, False)


def test_the_demo_city_finds_its_zip_codes_and_neighbourhoods(client):
    assert suggestions(client, "11238") == ["ZIP code 11238, Brooklyn"]
    assert suggestions(client, "park slo") == ["Park Slope, Brooklyn (neighbourhood)"]
    [zip_code] = client.get("/addresses/suggest?q=11238").get_json()["suggestions"]
    assert zip_code["approximate"] is True


def test_a_bad_line_is_named_with_its_number_and_nothing_is_imported(cli, session, tmp_path):
    before = addresses_held(session)
    rows = [ROWS[0], "-73.9,north,12,MAIN ST,,Brooklyn,,NY,11201,x,y", ROWS[1], "-73.9,40.7,12,,,Brooklyn,,NY,,x,y",
            "-73.9,40.7,12"]
    result = cli.invoke(args=["addresses", "import", str(write_csv(tmp_path, rows))])
    assert result.exit_code == 1
    assert "line 3: LAT 'north' is not a number of degrees" in result.output
    assert "line 5: STREET is empty" in result.output
    assert "line 6: 3 values where the header has 11" in result.output
    assert "Nothing was imported." in result.output
    assert addresses_held(session) == before


def test_a_file_without_the_columns_says_which_are_missing(cli, tmp_path):
    result = cli.invoke(args=["addresses", "import", str(write_csv(tmp_path, ["1,2"], header="X,Y\n"))])
    assert result.exit_code == 1 and "the header has no LON, LAT, STREET column" in result.output
    result = cli.invoke(args=["addresses", "import", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1 and "No such file or directory" in result.output


def test_geojson_as_a_collection_or_a_feature_a_line_gzipped(cli, client, tmp_path):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-73.9636, 40.6717]},
               "properties": {"number": "245", "street": "EASTERN PARKWAY", "city": "Brooklyn",
                              "postcode": "11238", "hash": "a1"}}
    collection = tmp_path / "a.geojson"
    collection.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}, indent=2))
    assert cli.invoke(args=["addresses", "import", str(collection)]).exit_code == 0
    lines = tmp_path / "b.geojson.gz"
    other = {**feature, "properties": {**feature["properties"], "number": "247"}}
    bad = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "properties": {}}
    with gzip.open(lines, "wt") as f:
        f.write(json.dumps(other) + "\n" + json.dumps(bad) + "\n")
    result = cli.invoke(args=["addresses", "import", str(lines)])
    assert result.exit_code == 1 and "line 2: its geometry is not a Point" in result.output
    with gzip.open(lines, "wt") as f:
        f.write(json.dumps(other) + "\n")
    assert cli.invoke(args=["addresses", "import", str(lines)]).exit_code == 0
    assert suggestions(client, "eastern pkwy") == ["245 Eastern Parkway, Brooklyn 11238",
                                                   "247 Eastern Parkway, Brooklyn 11238"]


def test_replace_takes_the_old_addresses_away_and_keeps_zip_codes(cli, client, imported, tmp_path):
    result = cli.invoke(args=["addresses", "import", "--replace", str(write_csv(tmp_path, ROWS[5:]))])
    assert result.exit_code == 0, result.output
    assert suggestions(client, "245 eastern") == []
    assert suggestions(client, "1245 bedford") == ["1245 Bedford Avenue, Brooklyn 11216"]
    assert suggestions(client, "11238") == ["ZIP code 11238, Brooklyn"]


def test_without_script_a_search_then_a_choice_places_the_report(client, session, categories, imported):
    form = report_form(client, categories, lat="", lon="", step="find-address", address_query="245 eastern pkwy")
    page = client.post("/reports/new", data=form).get_data(as_text=True)
    assert "Choose the place" in page and "245 Eastern Parkway, Brooklyn 11238" in page
    [choice] = session.scalars(select(Address.id).where(Address.number == "245")).all()
    form.update(step="use-address", address_choice=str(choice))
    response = client.post("/reports/new", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Placed at 245 Eastern Parkway, Brooklyn 11238." in page
    assert 'name="lat" type="hidden" value="40.671700"' in page
    assert 'value="245 Eastern Parkway, Brooklyn 11238"' in page  # the address field, filled in
    form.update(step="send", lat="40.671700", lon="-73.963600", address="245 Eastern Parkway, Brooklyn 11238")
    assert client.post("/reports/new", data=form).status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == form["submission_key"]))
    assert astuple(latlon(from_db(report.location))) == (40.6717, -73.9636) and not report.location_approximate
    assert report.address == "245 Eastern Parkway, Brooklyn 11238"


def test_without_script_a_search_that_finds_nothing_says_so_beside_the_box(client, categories):
    form = report_form(client, categories, lat="", lon="", step="find-address", address_query="99 Nowhere Lane")
    page = client.post("/reports/new", data=form).get_data(as_text=True)
    assert "No address found for “99 Nowhere Lane”" in page and 'value="99 Nowhere Lane"' in page


def test_a_zip_code_chosen_places_the_report_marked_approximate(client, session, categories):
    form = report_form(client, categories, lat="", lon="", step="find-address", address_query="11238")
    client.post("/reports/new", data=form)
    [choice] = session.scalars(select(Address.id).where(Address.postcode == "11238", Address.kind == "postcode"))
    form.update(step="use-address", address_choice=str(choice))
    page = client.post("/reports/new", data=form).get_data(as_text=True)
    assert "That is an area" in page and 'name="approximate" type="hidden" value="1"' in page
    lat = page.split('name="lat" type="hidden" value="')[1].split('"')[0]
    lon = page.split('name="lon" type="hidden" value="')[1].split('"')[0]
    form.update(step="send", lat=lat, lon=lon, approximate="1", address="Eastern Pkwy by the museum")
    assert client.post("/reports/new", data=form).status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == form["submission_key"]))
    assert report.location_approximate and report.neighbourhood.borough == "Brooklyn"


def test_open311_places_an_address_string_at_its_address_point(client, session, api_key, imported):
    [made] = post(client, api_key=api_key, service_code="pothole", address_string="245 Eastern Pkwy, Brooklyn, NY",
                  **{"attribute[size]": "small"})
    report = session.scalar(select(Report).where(Report.public_id == made["service_request_id"]))
    assert astuple(latlon(from_db(report.location))) == (40.6717, -73.9636) and not report.location_approximate
    assert report.department.code == "dot-bk" and report.address == "245 Eastern Pkwy, Brooklyn, NY"


def test_open311_asks_which_one_when_an_address_is_in_two_boroughs(client, api_key, imported):
    [error] = post(client, status=400, api_key=api_key, service_code="pothole", address_string="100 Broadway",
                   **{"attribute[size]": "small"})
    assert error["code"] == 400
    assert "could be in 100 Broadway, " in error["description"]
    assert "100 Broadway, New York 10005" in error["description"]
    assert "100 Broadway, Brooklyn 11249" in error["description"]


def test_open311_places_an_address_by_its_zip_code_when_the_city_has_no_point_for_it(client, session, api_key):
    [made] = post(client, api_key=api_key, service_code="pothole", address_string="12 Nowhere St, NY 11238",
                  **{"attribute[size]": "small"})
    report = session.scalar(select(Report).where(Report.public_id == made["service_request_id"]))
    assert report.location_approximate and report.neighbourhood.borough == "Brooklyn"
    [error] = post(client, status=400, api_key=api_key, service_code="pothole", address_string="12 Nowhere St",
                   **{"attribute[size]": "small"})
    assert "address_string '12 Nowhere St' was not found" in error["description"]
