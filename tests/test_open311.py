"""Open311 GeoReport v2 read endpoints, in both formats, checked against the standard's JSON Schemas."""

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, FormatChecker
from pyproj import Geod
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from seeclick.geo import LatLon
from seeclick.open311 import queries, serialize
from seeclick.open311.queries import box_around
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Status

SCHEMAS = Path(__file__).resolve().parent / "data" / "open311-schemas"  # shipped with the tests: README.md there
SCHEMA_FILES = ("services.json", "service.json", "service-definition.json", "requests.json", "request.json")


@pytest.fixture(scope="session")
def schema():
    missing = [name for name in SCHEMA_FILES if not (SCHEMAS / name).is_file()]
    assert not missing, f"the Open311 JSON Schemas {missing} are missing from {SCHEMAS}"
    documents = {name: json.loads((SCHEMAS / name).read_text()) for name in SCHEMA_FILES}
    registry = Registry().with_resources(
        (name, Resource.from_contents(doc, default_specification=DRAFT4))
        for name, doc in documents.items())

    def validate(document, name):
        Draft4Validator(documents[name], registry=registry, format_checker=FormatChecker()).validate(document)

    return validate


def get(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    if path.split("?")[0].endswith(".json"):
        assert response.content_type == "application/json; charset=utf-8"
        return response.get_json()
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.data)


def test_discovery_in_both_formats_and_both_places(client):
    for path in ("/open311/discovery.json", "/open311/v2/discovery.json"):
        found = get(client, path)
        assert found["endpoints"][0]["formats"] == ["text/xml", "application/json"]
        assert found["endpoints"][0]["url"].endswith("/open311/v2")
        assert datetime.fromisoformat(found["changeset"])
    xml = get(client, "/open311/discovery.xml")
    assert xml.tag == "discovery" and [f.text for f in xml.find("endpoints/endpoint/formats")] == [
        "text/xml", "application/json"]


def test_services_list_every_active_category_as_the_schema_wants(client, schema, categories):
    services = get(client, "/open311/v2/services.json")
    schema(services, "services.json")
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {c.code for c in categories.values() if c.active}
    assert by_code["pothole"]["metadata"] is True and by_code["traffic-signal"]["metadata"] is False
    assert all(isinstance(s["group"], str) for s in services)  # boston311 refuses a null group
    xml = get(client, "/open311/v2/services.xml")
    assert xml.tag == "services" and len(xml.findall("service")) == len(services)
    assert xml.find("service/metadata").text in ("true", "false")


def test_a_service_definition_comes_from_the_categorys_questions(client, schema):
    definition = get(client, "/open311/v2/services/pothole.json")
    schema(definition, "service-definition.json")
    [size] = definition["attributes"]
    assert (size["code"], size["datatype"], size["required"], size["order"]) == ("size", "singlevaluelist", True, 1)
    assert {v["key"] for v in size["values"]} == {"small", "medium", "large"}
    xml = get(client, "/open311/v2/services/pothole.xml")
    assert xml.find("attributes/attribute/values/value/key").text == "small"
    assert get(client, "/open311/v2/service/pothole.json") == definition  # the singular alias


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_things_are_404_in_the_standard_error_format(client, fmt):
    for path in (f"/open311/v2/services/nope.{fmt}", f"/open311/v2/requests/0.{fmt}",
                 f"/open311/v2/services.{fmt}?jurisdiction_id=elsewhere.gov"):
        body = get(client, path, 404)
        if fmt == "json":
            assert body[0]["code"] == 404 and body[0]["description"]
        else:
            assert body.tag == "errors" and body.find("error/code").text == "404"
    assert client.get("/open311/v2/requests.csv").status_code == 404
    assert client.get("/open311/v2/requests.csv").data.startswith(b"<?xml")


def test_requests_carry_every_field_and_hide_the_reporter(client, schema, make_report, login_as):
    report = make_report(reporter_email="secret@example.org", reporter_phone="718-555-0100",
                         reporter_name="Ana", address="245 Eastern Pkwy")
    lifecycle.acknowledge(report, login_as("staff", "dot-bk"), "Crew booked")
    found = get(client, "/open311/v2/requests.json")
    schema(found, "requests.json")
    [one] = [r for r in found if r["service_request_id"] == report.public_id]
    assert one["status"] == "open" and one["status_notes"] == "Crew booked"
    assert one["agency_responsible"] == "DOT Brooklyn Borough Office" and one["address"] == "245 Eastern Pkwy"
    assert (one["lat"], one["long"]) == pytest.approx((40.6782, -73.9442))
    assert set(one) == {"service_request_id", "status", "status_notes", "service_name", "service_code",
                        "description", "agency_responsible", "service_notice", "requested_datetime",
                        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
                        "long", "media_url"}
    text = client.get("/open311/v2/requests.xml").get_data(as_text=True)
    for private in ("secret@example.org", "718-555-0100", "Ana"):
        assert private not in json.dumps(found) and private not in text


def test_times_are_w3c_in_utc_to_the_second(client, make_report, login_as):
    report = make_report(created_at=datetime(2026, 11, 21, 9, 30, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
                         due_at=datetime(2026, 11, 24, 14, 30, tzinfo=UTC))
    [one] = get(client, f"/open311/v2/requests/{report.public_id}.json")
    assert (one["requested_datetime"], one["expected_datetime"]) == ("2026-11-21T14:30:59Z", "2026-11-24T14:30:00Z")
    assert one["updated_datetime"] == serialize.w3c(report.updated_at)
    lifecycle.close(report, login_as("staff", "dot-bk"), Status.FIXED, "Filled")
    [closed] = get(client, f"/open311/v2/requests/{report.public_id}.json")
    assert closed["updated_datetime"] == serialize.w3c(report.closed_at) and closed["status"] == "closed"
    xml = get(client, f"/open311/v2/requests/{report.public_id}.xml")
    assert xml.findtext("request/requested_datetime") == "2026-11-21T14:30:59Z"


def test_filters_defaults_and_overrides(client, schema, make_report, login_as):
    now = datetime.now(UTC)
    recent = make_report(created_at=now - timedelta(days=2))
    old = make_report(created_at=now - timedelta(days=200))
    light = make_report(category="street-light-out", created_at=now - timedelta(days=1))
    closed = make_report(created_at=now - timedelta(days=3))
    lifecycle.close(closed, login_as("staff", "dot-bk"), Status.FIXED, "Filled")

    def ids(query):
        return {r["service_request_id"] for r in get(client, f"/open311/v2/requests.json?{query}")}

    assert old.public_id not in ids("") and recent.public_id in ids("")  # the last 90 days by default
    assert ids(f"service_request_id={old.public_id},{light.public_id}&status=closed") == {old.public_id,
                                                                                        light.public_id}
    assert light.public_id in ids("service_code=street-light-out") and recent.public_id not in ids(
        "service_code=street-light-out")
    assert closed.public_id in ids("status=closed") and closed.public_id not in ids("status=open")
    start = (now - timedelta(days=250)).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    assert old.public_id in ids(f"start_date={start}&end_date={(now - timedelta(days=190)).isoformat()}")
    assert ids("status=&service_code=") == ids("")  # empty is the same as absent
    assert len(get(client, "/open311/v2/requests.json?page_size=2")) == 2
    page_two = get(client, "/open311/v2/requests.json?page_size=2&page=2")
    assert {r["service_request_id"] for r in page_two}.isdisjoint(
        {r["service_request_id"] for r in get(client, "/open311/v2/requests.json?page_size=2")})
    assert recent.public_id in ids("lat=40.6782&long=-73.9442&radius=50")
    assert recent.public_id not in ids("lat=40.7580&long=-73.9855&radius=500")  # Times Square
    assert recent.public_id in ids("bbox=-73.95,40.67,-73.94,40.69")


def test_a_service_code_list_finds_the_requests_of_any_of_them(client, make_report):
    pothole, light, dead_animal = (make_report(category=c) for c in ("pothole", "street-light-out", "dead-animal"))

    def ids(query):
        return {r["service_request_id"] for r in get(client, f"/open311/v2/requests.json?{query}")}

    assert ids("service_code=pothole,street-light-out") == {pothole.public_id, light.public_id}
    assert ids("service_code=street-light-out, nope") == {light.public_id}  # spaces trimmed, unknown codes match none
    assert ids("service_code=nope") == set() and ids("service_code=nope,") == set()
    assert dead_animal.public_id in ids("service_code=dead-animal&status=open")


def test_requests_of_the_same_filters_each_answer_with_their_own_values(client, make_report, login_as):
    """The SQL of a combination of filters is made once; each request's dates, codes and page are its own."""
    now = datetime.now(UTC)
    ago = {name: now - timedelta(days=days) for name, days in (("a", 10), ("b", 20), ("c", 30), ("d", 5))}
    made = {name: make_report(category=category, created_at=ago[name], updated_at=ago[name]).public_id
            for name, category in (("a", "pothole"), ("b", "street-light-out"), ("c", "pothole"), ("d", "dead-animal"))}

    def found(query):
        return [made_name for r in get(client, f"/open311/v2/requests.json?{query}")
                for made_name, public_id in made.items() if public_id == r["service_request_id"]]

    def window(newest, oldest):
        return (f"start_date={(now - timedelta(days=oldest)).isoformat()}"
                f"&end_date={(now - timedelta(days=newest)).isoformat()}").replace("+", "%2B")

    assert [found(window(8, 15)), found(window(15, 25)), found(window(25, 35))] == [["a"], ["b"], ["c"]]
    assert found("service_code=pothole") == ["a", "c"] and found("service_code=street-light-out") == ["b"]
    assert found("service_code=pothole,dead-animal") == ["d", "a", "c"]
    assert found("service_code=street-light-out,dead-animal") == ["d", "b"]
    pages = [found(f"{window(1, 35)}&service_code=pothole&page_size={size}&page={page}")
             for size, page in ((1, 1), (1, 2), (1, 3), (2, 1))]
    assert pages == [["a"], ["c"], [], ["a", "c"]]
    assert found("status=open&service_code=dead-animal") == ["d"] and found("status=closed&service_code=pothole") == []

    def changed(newest, oldest):  # each of these was last changed when it was made
        return (f"updated_after={(now - timedelta(days=oldest)).isoformat()}"
                f"&updated_before={(now - timedelta(days=newest)).isoformat()}").replace("+", "%2B")

    assert [found(changed(8, 15)), found(changed(15, 35))] == [["a"], ["b", "c"]]
    later = f"&updated_after={(now - timedelta(days=25)).isoformat()}".replace("+", "%2B")
    assert [found(window(1, 35)), found(window(1, 35) + later)] == [["d", "a", "b", "c"], ["d", "a", "b"]]
    timelines = [get(client, f"/open311/v2/requests.json?{window(newest, oldest)}&extensions=true")
                 for newest, oldest in ((8, 15), (25, 35))]
    assert [[r["service_request_id"] for r in answer if r["service_request_id"] in made.values()]
            for answer in timelines] == [[made["a"]], [made["c"]]]
    assert all(r["extended_attributes"]["channel"] == "web" and r["notes"] == [] for answer in timelines
               for r in answer if r["service_request_id"] in made.values())
    filled = make_report(created_at=now - timedelta(days=12), updated_at=now - timedelta(days=12))
    lifecycle.close(filled, login_as("staff", "dot-bk"), Status.FIXED, "Filled")
    for extensions in ("&extensions=true", ""):  # the latest note from the timeline, and from the listing's SQL
        [answer] = [r for r in get(client, f"/open311/v2/requests.json?{window(11, 13)}&status=closed{extensions}")
                    if r["service_request_id"] == filled.public_id]
        assert answer["status_notes"] == "Filled" and ("notes" in answer) == bool(extensions)


def test_a_filter_compiled_with_its_first_value_is_refused_rather_than_answered(client, make_report, monkeypatch):
    """A filter written as a plain value, not a named parameter, would answer every later request of its
    combination of filters with the first one's value: the first request fails instead, naming it."""
    from seeclick.reports.models import Report

    conditions = queries.conditions

    def with_a_plain_value(chosen):
        where = conditions(chosen)
        if chosen.start is not None:
            where.append(Report.created_at >= chosen.start)  # the mistake: a value, not bindparam("start")
        return where

    make_report()
    monkeypatch.setattr(queries, "conditions", with_a_plain_value)
    monkeypatch.setattr(queries, "_COMPILED", {})
    with pytest.raises(RuntimeError, match="created_at_1 would keep the first request's value"):
        client.get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z")
    monkeypatch.setattr(queries, "conditions", conditions)
    assert client.get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z").status_code == 200


WGS84 = Geod(ellps="WGS84")


def test_a_radius_finds_exactly_the_reports_within_it(client, make_report):
    """Measured on the WGS84 spheroid, near every edge of the circle: just inside is in, just outside is out."""
    centre, radius = LatLon(40.6782, -73.9442), 500

    def at(bearing, metres):
        lon, lat, _ = WGS84.fwd(centre.lon, centre.lat, bearing, metres)
        return make_report(where=LatLon(lat, lon))

    inside = {at(bearing, radius - 0.5).public_id for bearing in range(0, 360, 15)}
    outside = {at(bearing, radius + 0.5).public_id for bearing in range(0, 360, 15)}
    corners = {at(bearing, radius * 1.4).public_id for bearing in (45, 135, 225, 315)}  # in the box, not the circle
    found = {r["service_request_id"] for r in get(
        client, f"/open311/v2/requests.json?lat={centre.lat}&long={centre.lon}&radius={radius}")}
    assert found == inside and not found & (outside | corners)


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180), metres=st.floats(1, 10_000),
       bearing=st.floats(0, 360))
@example(lat=40.6782, lon=-73.9442, metres=500, bearing=0)
@example(lat=89.99, lon=0, metres=10_000, bearing=90)
@example(lat=0, lon=179.99, metres=10_000, bearing=90)
def test_the_box_around_a_circle_holds_all_of_it(lat, lon, metres, bearing):
    """Wherever the circle is, pole and antimeridian included, no point of its edge is left out of the box."""
    west, south, east, north = box_around(LatLon(lat, lon), metres)
    edge_lon, edge_lat, _ = WGS84.fwd(lon, lat, bearing, metres)
    assert south <= edge_lat <= north
    assert west <= edge_lon <= east or (west, east) == (-180, 180)


@pytest.mark.parametrize("way", ["time", "time_place", "place_time"])
def test_a_page_of_a_place_is_its_newest_requests_in_order(client, make_report, monkeypatch, way):
    """By bbox or radius, every way of reading, pages run newest first, equal times by number, no gaps or repeats."""
    monkeypatch.setattr(queries, "reading", lambda box, count: way)
    now = datetime.now(UTC)
    times = [now + timedelta(hours=1), now, now, now, now - timedelta(days=1), now - timedelta(days=89)]
    made = [make_report(where=LatLon(40.6782 + i * 0.0001, -73.9442), created_at=t) for i, t in enumerate(times)]
    make_report(where=LatLon(40.6782, -73.9442), created_at=now - timedelta(days=91))  # outside the 90 days
    make_report(where=LatLon(40.7580, -73.9855), created_at=now)  # Times Square: outside the place
    newest_first = [r.public_id for r in sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)]
    for place in ("bbox=-73.95,40.67,-73.94,40.69", "lat=40.6782&long=-73.9442&radius=500"):
        pages = [[r["service_request_id"] for r in get(
            client, f"/open311/v2/requests.json?{place}&page_size=2&page={page}")] for page in (1, 2, 3, 4)]
        assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:6], []]


@pytest.mark.parametrize("query", [
    "status=pending", "start_date=yesterday", "start_date=2026-11-01T00:00:00", "page_size=ten",
    "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "bbox=1,2,3", "lat=40.7", "lat=95&long=0",
    "radius=-5&lat=40.7&long=-73.9"])
def test_bad_parameters_get_a_400_with_a_reason(client, query):
    body = get(client, f"/open311/v2/requests.json?{query}", 400)
    assert body[0]["code"] == 400 and len(body[0]["description"]) > 10


def test_extensions_add_the_public_timeline_and_where(client, make_report, login_as, departments):
    report = make_report()
    dispatcher = login_as("staff", "dot-bk")
    lifecycle.add_note(report, dispatcher, "Internal only", public=False)
    lifecycle.reassign(report, dispatcher, departments["dot-mn"], "Manhattan side")
    [one] = get(client, f"/open311/v2/requests/{report.public_id}.json?extensions=true")
    assert one["extended_attributes"]["channel"] == "web" and "neighbourhood" in one["extended_attributes"]
    assert [n["description"] for n in one["notes"]] == ["Manhattan side"]
    assert one["notes"][0]["summary"] == f"Passed from {departments['dot-bk'].name} to {departments['dot-mn'].name}"
    assert one["notes"][0]["datetime"].endswith("Z") and one["notes"][0]["type"] == "activity"
    [plain] = get(client, f"/open311/v2/requests/{report.public_id}.json")
    assert "notes" not in plain
    assert LatLon(plain["lat"], plain["long"])
    assert {name: one[name] for name in plain} == plain  # the note taken from the timeline is the same
    assert plain["status_notes"] == "Manhattan side"
    listed = get(client, "/open311/v2/requests.json?extensions=true")
    assert [r for r in listed if r["service_request_id"] == report.public_id] == [one]


# --- writing: POST requests ---------------------------------------------------------------------

def post(client, fmt="json", status=200, **data):
    response = client.post(f"/open311/v2/requests.{fmt}", data=data)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json() if fmt == "json" else ElementTree.fromstring(response.data)


def test_a_client_posts_a_request_routed_and_mailed_like_the_web_form(client, session, api_key):
    from sqlalchemy import select

    from seeclick.notifications.models import Notification
    from seeclick.reports.models import Channel, Report

    [made] = post(client, api_key=api_key, service_code="pothole", lat="40.6782", long="-73.9442",
                  description="Deep hole", email="ana@example.org", first_name="Ana", last_name="B",
                  **{"attribute[size]": "large"})
    report = session.scalar(select(Report).where(Report.public_id == made["service_request_id"]))
    assert report.department.code == "dot-bk" and report.channel is Channel.OPEN311
    assert report.answers == {"size": "large"} and report.reporter_name == "Ana B"
    assert "no history yet" in made["service_notice"]
    assert session.scalar(select(Notification).where(Notification.report_id == report.id)).recipient == \
        "ana@example.org"
    [again] = get(client, f"/open311/v2/requests/{made['service_request_id']}.json")
    assert again["agency_responsible"] == "DOT Brooklyn Borough Office"
    xml = post(client, "xml", api_key=api_key, service_code="traffic-signal", lat="40.6782", long="-73.9442")
    # (description is optional in Open311: a client may send only the service and the place)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text.isdigit()


def test_a_photo_comes_as_a_multipart_media_part(client, session, api_key):
    import io

    from tests.test_photos import phone_jpeg

    response = client.post("/open311/v2/requests.json", content_type="multipart/form-data", data={
        "api_key": api_key, "service_code": "pothole", "lat": "40.6782", "long": "-73.9442",
        "attribute[size]": "small", "media": (io.BytesIO(phone_jpeg()), "hole.jpg")})
    assert response.status_code == 200
    [made] = response.get_json()
    [listed] = get(client, f"/open311/v2/requests/{made['service_request_id']}.json")
    assert listed["media_url"].endswith(".jpg") and client.get(listed["media_url"]).status_code == 200


@pytest.mark.parametrize(("data", "status", "says"), [
    ({}, 403, "api_key"),
    ({"api_key": "sc_wrong"}, 403, "api_key"),
    ({"api_key": "KEY", "service_code": ""}, 400, "service_code"),
    ({"api_key": "KEY", "service_code": "nope", "lat": "40.6782", "long": "-73.9442"}, 404, "nope"),
    ({"api_key": "KEY", "service_code": "pothole", "address_string": "245 Eastern Pkwy"}, 400, "was not found"),
    ({"api_key": "KEY", "service_code": "pothole", "address_id": "A-1"}, 400, "address_id"),
    ({"api_key": "KEY", "service_code": "pothole", "lat": "40.6782", "long": "-73.9442", "attribute[size]": "small",
      "media_url": "not a url"}, 400, "media_url"),
    ({"api_key": "KEY", "service_code": "pothole", "lat": "40.6782", "long": "-73.9442"}, 400, "How big is it?"),
    ({"api_key": "KEY", "service_code": "traffic-signal", "lat": "40.95", "long": "-73.2"}, 400, "outside"),
    ({"api_key": "KEY", "service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442",
      "description": "x" * 4001}, 400, "4,000"),
])
def test_bad_posts_get_the_standard_error(client, session, api_key, data, status, says):
    from sqlalchemy import func, select

    from seeclick.reports.models import Report

    before = session.scalar(select(func.count()).select_from(Report))
    body = post(client, status=status, **{k: (api_key if v == "KEY" else v) for k, v in data.items()})
    assert body[0]["code"] == status and any(says in e["description"] for e in body)
    assert session.scalar(select(func.count()).select_from(Report)) == before


def test_a_revoked_key_is_refused(client, session, api_key):
    from seeclick.open311 import services

    [key] = queries.keys()
    services.revoke(key.id)
    session.flush()
    assert post(client, status=403, api_key=api_key, service_code="traffic-signal", lat="40.6782",
                long="-73.9442")[0]["code"] == 403


def test_a_question_added_since_the_last_request_is_asked_at_once(client, session, api_key, categories):
    from seeclick.categories import services as categories_service
    from seeclick.categories.models import Datatype

    data = {"api_key": api_key, "service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442"}
    post(client, **data)
    categories_service.add_question(categories["traffic-signal"], "dark", "Is it dark?", Datatype.SINGLEVALUELIST,
                                    True, "yes | Yes\nno | No")
    session.flush()
    assert any("Please answer: Is it dark?" in e["description"] for e in post(client, status=400, **data))
    post(client, **data, **{"attribute[dark]": "yes"})


def test_an_idempotency_key_makes_one_request_of_a_retry(client, session, api_key):
    data = {"api_key": api_key, "service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442"}
    first = client.post("/open311/v2/requests.json", data=data, headers={"Idempotency-Key": "abc"}).get_json()
    second = client.post("/open311/v2/requests.json", data=data, headers={"Idempotency-Key": "abc"}).get_json()
    assert first == second


def test_the_openapi_document_is_valid_and_names_every_json_endpoint(app, client):
    from openapi_spec_validator import validate

    spec = client.get("/open311/v2/openapi.json").get_json()
    validate(spec)
    served = {rule.rule.removeprefix("/open311/v2").replace("<any(json, xml):fmt>", "json")
              .replace("<", "{").replace(">", "}") for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/open311/v2/") and "fmt" in rule.rule and "/service/" not in rule.rule}
    assert served == set(spec["paths"])
