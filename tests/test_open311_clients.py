"""Real GeoReport v2 clients from PyPI, run against our API on a live port as their users would run them.

- georeport 0.3.1: services, definitions and requests, in JSON and in XML (parsed with xmltodict).
- boston311 0.1.1: strict pydantic models (every key present, group and address never null).
- civicbot 0.4.0: reads, and real POSTs with an API key and attributes, checked first against our definitions.
- chicagorequests 0.0.5: Chicago's bulk downloader: extensions=true, updated_after/before, a page/page_size loop.

The live server reads the committed test database, so this module commits what it needs and removes it
afterwards, the reports the clients posted included. No test here may use the `session` or `client`
fixtures: they would swap the session the live server's thread uses for the test's own connection.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import boston311
import boston311.api
import pytest
import requests
from boston311.datamodels import Status as BostonStatus
from chicagorequests import Downloader
from civicbot import Endpoint, HttpError, HttpTransport, Open311Client, ValidationError
from civicbot.http import RateLimiter
from georeport import GeoReport
from sqlalchemy import delete, func, insert, select, text

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role, User
from seeclick.categories.models import Category, CategoryQuestion, Datatype
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.open311 import services as open311
from seeclick.open311.models import ApiKey
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Report, Status, Update
from seeclick.routing import route

CROWN_HEIGHTS = LatLon(40.6782, -73.9442)
BULK = 205  # more than chicagorequests' page of 200, so it must ask for page 2


@dataclass
class City:
    base: str  # the GeoReport v2 base URL, as a city publishes it
    key: str
    hole: str  # public ids of the reports made here
    light: str
    old: str
    bulk: set[str]
    hole_created: datetime
    light_closed: datetime
    bulk_day: datetime


@pytest.fixture(scope="module")
def city(app, live_server):
    """Committed reports, a service asking a multi-value list, a number and a date, and an API key; removed after."""
    with app.app_context():
        first_report = db.session.scalar(select(func.coalesce(func.max(Report.id), 0)))
        first_job = db.session.execute(text("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")).scalar()
        categories = {c.code: c for c in db.session.scalars(select(Category))}
        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        now = datetime.now(UTC)

        def report(code, **values):
            made = Report(category=categories[code], location=to_db(CROWN_HEIGHTS.to_point()),
                          department_id=route(categories[code].id, CROWN_HEIGHTS).department_id,
                          due_at=now + timedelta(days=3), **values)
            db.session.add(made)
            db.session.flush()
            db.session.refresh(made)
            return made

        hole = report("pothole", description="Deep hole by the bus stop", address="245 Eastern Pkwy",
                      answers={"size": "large"}, created_at=now - timedelta(days=2))
        light = report("street-light-out", description="Lamp dark all week", created_at=now - timedelta(days=1))
        old = report("traffic-signal", description="Signal stuck on red", created_at=now - timedelta(days=200))
        staff = accounts.create_user("staff.clients@city.example", "correct horse battery staple", Role.STAFF,
                                     brooklyn)
        lifecycle.close(light, staff, Status.FIXED, "New lamp fitted")
        db.session.add(Category(
            code="client-survey", name="Street survey", group="Client tests", sla_hours=72,
            fallback_department=brooklyn, questions=[
                CategoryQuestion(code="hazards", prompt="What is there?", datatype=Datatype.MULTIVALUELIST,
                                 required=True, position=0,
                                 values=[{"key": "glass", "name": "Broken glass"}, {"key": "oil", "name": "Oil"},
                                         {"key": "wires", "name": "Loose wires"}]),
                CategoryQuestion(code="count", prompt="How many?", datatype=Datatype.NUMBER, position=1),
                CategoryQuestion(code="seen", prompt="When did you see it?", datatype=Datatype.DATETIME,
                                 position=2)]))
        day = datetime.combine((now - timedelta(days=1)).date(), time(), UTC)
        dirty = categories["dirty-lot"]
        db.session.execute(insert(Report), [
            {"category_id": dirty.id, "location": to_db(CROWN_HEIGHTS.to_point()), "description": f"Lot {i}",
             "department_id": route(dirty.id, CROWN_HEIGHTS).department_id, "created_at": day + timedelta(minutes=i)}
            for i in range(BULK)])
        api_key, key = open311.create_key("Client tests")
        key_id = api_key.id
        db.session.commit()
        made = City(
            base=f"{live_server}/open311/v2", key=key, hole=hole.public_id, light=light.public_id,
            old=old.public_id, hole_created=hole.created_at, light_closed=light.closed_at, bulk_day=day,
            bulk=set(db.session.scalars(select(Report.public_id).where(Report.category_id == dirty.id,
                                                                        Report.id > first_report))))
    yield made
    with app.app_context():
        ids = db.session.scalars(select(Report.id).where(Report.id > first_report)).all()  # the posted ones too
        db.session.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
        db.session.execute(delete(Update).where(Update.report_id.in_(ids)))
        db.session.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
        db.session.execute(delete(Report).where(Report.id.in_(ids)))
        db.session.execute(text("DELETE FROM procrastinate_jobs WHERE id > :first"), {"first": first_job})
        db.session.execute(delete(ApiKey).where(ApiKey.id == key_id))
        db.session.execute(delete(Category).where(Category.code == "client-survey"))
        db.session.execute(delete(User).where(User.email == "staff.clients@city.example"))
        db.session.commit()


def to_the_second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


# --- georeport ------------------------------------------------------------------------------------

def test_georeport_reads_services_and_definitions_in_json_and_xml(city):
    as_json = GeoReport(city.base, jurisdiction="nyc.gov")
    as_xml = GeoReport(city.base, jurisdiction="nyc.gov", output_format="xml")

    services = {s["service_code"]: s for s in as_json.get_service_list()}
    assert services["pothole"]["service_name"] == "Pothole" and services["pothole"]["metadata"] is True
    assert services["traffic-signal"]["metadata"] is False
    assert services["client-survey"]["group"] == "Client tests"
    xml_services = as_xml.get_service_list()
    assert [s["service_code"] for s in xml_services] == list(services)  # the same services, in the same order
    assert {s["service_code"]: s["metadata"] for s in xml_services}["pothole"] == "true"  # XML is all text

    [size] = as_json.get_service_definition("pothole")["attributes"]
    assert (size["code"], size["datatype"], size["required"]) == ("size", "singlevaluelist", True)
    assert [v["key"] for v in size["values"]] == ["small", "medium", "large"]
    survey = as_xml.get_service_definition("client-survey")
    assert survey["service_code"] == "client-survey"
    attributes = survey["attributes"]["attribute"]  # xmltodict makes a list only of repeated elements
    assert [(a["code"], a["datatype"], a["order"]) for a in attributes] == [
        ("hazards", "multivaluelist", "1"), ("count", "number", "2"), ("seen", "datetime", "3")]
    assert [v["name"] for v in attributes[0]["values"]["value"]] == ["Broken glass", "Oil", "Loose wires"]
    with pytest.raises(requests.HTTPError, match="404"):
        as_json.get_service_definition("no-such-service")


def test_georeport_finds_requests_by_filter_and_by_id(city):
    client = GeoReport(city.base, jurisdiction="nyc.gov")

    def ids(**filters):
        return {r["service_request_id"] for r in client.get_service_requests(**filters)}

    assert ids(service_code="pothole,street-light-out") >= {city.hole, city.light}
    assert city.old not in ids(service_code="traffic-signal")  # the last 90 days unless asked
    old_day = datetime.now(UTC) - timedelta(days=200)
    assert ids(service_code="traffic-signal", start_date=(old_day - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
               end_date=(old_day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")) == {city.old}
    assert city.light in ids(status="closed") and city.hole not in ids(status="closed")
    assert ids(service_request_id=f"{city.old},{city.hole}", status="closed") == {city.old, city.hole}

    hole = client.get_service_request(city.hole)
    assert (hole["status"], hole["service_code"], hole["description"], hole["address"]) == (
        "open", "pothole", "Deep hole by the bus stop", "245 Eastern Pkwy")
    assert hole["agency_responsible"] == "DOT Brooklyn Borough Office"
    assert (hole["lat"], hole["long"]) == pytest.approx((40.6782, -73.9442))

    as_xml = GeoReport(city.base, jurisdiction="nyc.gov", output_format="xml")
    light = as_xml.get_service_request(city.light)
    assert (light["status"], light["status_notes"], light["service_name"]) == (
        "closed", "New lamp fitted", "Street light out")
    assert light["updated_datetime"] == to_the_second(city.light_closed).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert light["media_url"] is None  # an empty element: no photo
    # One request in XML: xmltodict hands the client the request itself rather than a list of one.
    assert as_xml.get_service_requests(service_request_id=city.light)["service_request_id"] == city.light
    listed = as_xml.get_service_requests(service_request_id=f"{city.hole},{city.light}")
    assert {r["service_request_id"] for r in listed} == {city.hole, city.light}


# --- boston311 ------------------------------------------------------------------------------------

@pytest.fixture
def boston(city, monkeypatch):
    """boston311 pointed at us instead of Boston: the endpoint is a module constant there."""
    monkeypatch.setattr(boston311.api, "BOSTON_API_ENDPOINT", city.base + "/")
    return boston311


def test_boston311_models_take_every_service_and_request(city, boston):
    services = boston.get_services()
    assert services.get_service_code("Pothole") == "pothole"
    assert services.get_service_name("client-survey") == "Street survey"
    assert {s.group for s in services.services} >= {"Streets and sidewalks", "Client tests"}

    open_potholes = boston.get_service_requests(service_code="pothole", start_date=datetime.now(UTC) - timedelta(
        days=30), status=BostonStatus.OPEN)
    [hole] = [r for r in open_potholes.service_requests if r.service_request_id == city.hole]
    assert hole.status is BostonStatus.OPEN and hole.address == "245 Eastern Pkwy"
    assert hole.requested_datetime == to_the_second(city.hole_created)
    assert (hole.lat, hole.long) == pytest.approx((40.6782, -73.9442))
    assert hole.expected_datetime is not None and hole.media_url is None

    light = boston.get_service_request(city.light)
    assert light.status is BostonStatus.CLOSED and light.status_notes == "New lamp fitted"
    assert light.updated_datetime == to_the_second(city.light_closed)
    closed = boston.get_service_requests(status=BostonStatus.CLOSED).service_requests
    assert city.light in {r.service_request_id for r in closed} and {r.status for r in closed} == {BostonStatus.CLOSED}
    assert len(boston.get_service_requests(service_code="dirty-lot")) == BULK  # all days, fewer than 1000


# --- civicbot: writing ----------------------------------------------------------------------------

@pytest.fixture
def civicbot(city):
    endpoint = Endpoint(id="seeclick-test", name="seeclick (test)", base_url=city.base, write=True)
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0))  # (it waits 0.5 s a call otherwise)
    return Open311Client(endpoint, transport=transport, jurisdiction_id="nyc.gov")


def answers_of(app, public_id):
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        return report.answers, report.channel.value, report.reporter_email


def test_civicbot_posts_a_request_with_an_attribute_and_reads_it_back(app, city, civicbot):
    prepared = civicbot.create_request(
        "pothole", dry_run=False, confirm="SEND", api_key=city.key, validate_remote=True, lat=40.6782,
        lng=-73.9442, description="Hole by the school gate\nabout a metre wide", attributes={"size": "medium"},
        email="ana@example.org", first_name="Ana", last_name="B")
    [made] = prepared.response
    assert made["service_notice"] and "token" not in made

    back = civicbot.get_request(made["service_request_id"])
    assert (back["service_code"], back["status"], back["description"]) == (
        "pothole", "open", "Hole by the school gate\nabout a metre wide")
    assert back["agency_responsible"] == "DOT Brooklyn Borough Office"
    assert (back["lat"], back["long"]) == pytest.approx((40.6782, -73.9442))
    assert "ana@example.org" not in json.dumps(back)
    assert answers_of(app, made["service_request_id"]) == ({"size": "medium"}, "open311", "ana@example.org")
    assert made["service_request_id"] in {r["service_request_id"] for r in civicbot.list_requests(
        service_request_ids=[made["service_request_id"], city.hole])}


def test_civicbot_sends_a_multi_value_list_a_number_and_a_date(app, city, civicbot):
    prepared = civicbot.create_request(
        "client-survey", dry_run=False, confirm="SEND", api_key=city.key, validate_remote=True, lat=40.6782,
        lng=-73.9442, attributes={"hazards": ["wires", "glass"], "count": 3, "seen": "2026-11-20T08:15:00-05:00"})
    assert prepared.form["attribute[hazards][]"] == ["wires", "glass"]  # attribute[CODE][] on the wire
    [made] = prepared.response
    answers, channel, _email = answers_of(app, made["service_request_id"])
    assert answers == {"hazards": ["glass", "wires"], "count": 3, "seen": "2026-11-20T08:15:00-05:00"}
    assert civicbot.get_request(made["service_request_id"])["service_name"] == "Street survey"


def test_civicbot_checks_answers_against_our_definition_before_sending(city, civicbot):
    with pytest.raises(ValidationError, match="'size' missing"):
        civicbot.create_request("pothole", api_key=city.key, validate_remote=True, lat=40.6782, lng=-73.9442)
    with pytest.raises(ValidationError, match=r"\['enormous'\] not in \['large', 'medium', 'small'\]"):
        civicbot.create_request("pothole", api_key=city.key, validate_remote=True, lat=40.6782, lng=-73.9442,
                                attributes={"size": "enormous"})
    with pytest.raises(ValidationError, match="not offered"):
        civicbot.create_request("no-such-service", api_key=city.key, validate_remote=True, lat=40.6782,
                                lng=-73.9442)


def test_civicbot_sees_our_refusals_in_the_standard_error_format(city, civicbot):
    def refusal(**kwargs):
        with pytest.raises(HttpError) as refused:
            civicbot.create_request(dry_run=False, confirm="SEND", lat=40.6782, lng=-73.9442, **kwargs)
        return refused.value.status, json.loads(refused.value.body)

    status, errors = refusal(service_code="traffic-signal", api_key="sc_not-a-key")
    assert status == 403 and errors[0]["code"] == 403 and "api_key" in errors[0]["description"]
    status, errors = refusal(service_code="pothole", api_key=city.key)  # not checked first: the server says
    assert status == 400 and any("How big is it?" in e["description"] for e in errors)
    status, errors = refusal(service_code="pothole", api_key=city.key, attributes={"size": "small"},
                             description="x" * 3999 + "\x00")
    assert status == 400 and errors[0]["code"] == 400
    with pytest.raises(HttpError) as missing:
        civicbot.get_request("0")
    assert missing.value.status == 404 and json.loads(missing.value.body)[0]["code"] == 404


def test_civicbot_lists_services_and_pages_requests(city, civicbot):
    assert "client-survey" in {s["service_code"] for s in civicbot.list_services()}
    [newest] = civicbot.list_requests(service_code="dirty-lot", page_size=1)
    assert newest["service_request_id"] in city.bulk and newest["description"] == f"Lot {BULK - 1}"


# --- chicagorequests: the bulk downloader -----------------------------------------------------------

def test_chicagorequests_downloads_a_day_page_by_page_with_extensions(city):
    now = datetime.now(UTC)
    day = (city.bulk_day, datetime.combine(city.bulk_day.date(), time.max, UTC))
    downloader = Downloader(request_type=["dirty-lot"], updated_start_date=now - timedelta(hours=1),
                            updated_end_date=now + timedelta(hours=1))
    downloader.BASE_URL = f"{city.base}/requests.json"
    found = downloader(day)
    assert len(found) == BULK and {r["service_request_id"] for r in found} == city.bulk  # pages 1 and 2
    assert all(r["notes"] == [] and r["extended_attributes"]["channel"] == "web" for r in found)

    stale = Downloader(request_type=["dirty-lot"], updated_start_date=now - timedelta(days=10),
                       updated_end_date=now - timedelta(days=9))
    stale.BASE_URL = downloader.BASE_URL
    assert stale(day) == []  # updated_after / updated_before: nothing changed then
