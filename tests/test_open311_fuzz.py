"""Property-based fuzzing of the Open311 API: no 5xx, every refusal in the standard error format, every answer valid.

Each property runs about 150 random and adversarial examples through the Flask test client; all the
examples of one test share the test's rolled-back transaction, so reports posted here are never kept.
"""

import io
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote, urlencode, urlsplit
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Report, Status
from tests import test_open311

schema = test_open311.schema  # the fixture: every 200 is checked against the standard's JSON Schemas

# FUZZ_EXAMPLES=3000 for a deeper run by hand; the suite's run stays well under a minute.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- what a careless or hostile client sends ------------------------------------------------------

ODD = st.sampled_from([
    "", " ", ",", ",,,", "\x00", "nul\x00byte", "\x01\x0b\x1f", "\ufffe", "²", "١٢٣", "Ⅻ", "0x1F", "1_000", "-0",
    "+5", "1e309", "-1e309", "1e-400", "nan", "NaN", "inf", "-inf", "9" * 30, "9" * 5000, "0" * 40 + "1", "true",
    "TRUE", "open,closed", "open,,closed", "OPEN", "%", "%00", "../", "<x/>", "&amp;", "]]>", "' OR 1=1 --",
    "2026-11-21T14:30:00Z", "2026-11-21", "2026-02-30T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-11-21T14:30:00.123456789Z", "2026-11-21T24:00:00Z",
    "2026-11-21 14:30:00+00:00", "2026-11-21T14:30:00 00:00", "20261121T143000Z", "11/21/2026", "1763735400",
    "-73.9442,40.6782,-73.94,40.69", "-180,-90,180,90", "1,2,3,4,5", "a,b,c,d", "40.6782", "-73.9442", "100001",
])
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))
MOMENTS = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59),
                       timezones=st.none() | st.just(UTC) | OFFSETS)
DATES = st.one_of(
    MOMENTS.map(datetime.isoformat),
    MOMENTS.map(lambda m: m.isoformat(sep=" ")),
    MOMENTS.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ")),
    MOMENTS.map(lambda m: m.strftime("%m/%d/%Y")),
)
NUMBERS = st.one_of(st.integers(), st.integers(min_value=10**15, max_value=10**40), st.floats()).map(str)
SCALAR = st.one_of(ODD, st.text(max_size=30), DATES, NUMBERS)
VALUE = st.one_of(SCALAR, st.lists(st.one_of(ODD, NUMBERS, st.text(max_size=8)), max_size=5).map(",".join))

GET_NAMES = ["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status",
             "updated_after", "updated_before", "page", "page_size", "per_page", "bbox", "lat", "long", "radius",
             "extensions", "api_key"]
QUERY = st.lists(st.tuples(st.one_of(st.sampled_from(GET_NAMES), st.text(max_size=10)), VALUE), max_size=8)
# Percent-encoding that is broken, or decodes to something no form would send.
RAW_QUERY = st.lists(st.sampled_from(["%", "%zz", "%ff", "%00", "%ED%A0%80", "%C0%80", "%E2%80%AE", "&", "=", "+",
                                      ";", ",", "%2C", "page", "bbox", "status", "start_date", "1", "-"]),
                     max_size=12).map("".join)

# --- checks ----------------------------------------------------------------------------------------


def expected_format(path: str) -> str:
    return "json" if path.split("?")[0].endswith(".json") else "xml"


def assert_standard_error(response, fmt):
    """A 4xx in the standard's error format, each error's code the HTTP status."""
    status = response.status_code
    assert 400 <= status < 500, (status, response.data[:300])
    if fmt == "json":
        assert response.content_type == "application/json; charset=utf-8"
        errors = response.get_json()
        assert isinstance(errors, list) and errors
        for error in errors:
            assert set(error) == {"code", "description"}
            assert type(error["code"]) is int and error["code"] == status
            assert isinstance(error["description"], str) and error["description"].strip()
    else:
        assert response.content_type == "text/xml; charset=utf-8"
        assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        root = ElementTree.fromstring(response.data)
        assert root.tag == "errors" and len(root) >= 1
        for error in root:
            assert error.tag == "error" and [child.tag for child in error] == ["code", "description"]
            assert error.findtext("code") == str(status)
            assert (error.findtext("description") or "").strip()


def assert_service_requests(response, fmt, schema):
    """A 200 list of service requests: valid against the JSON Schema, or well-formed XML of the same shape."""
    if fmt == "json":
        assert response.content_type == "application/json; charset=utf-8"
        body = response.get_json()
        schema(body, "requests.json")
        return body
    assert response.content_type == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.data)
    assert root.tag == "service_requests" and all(r.tag == "request" for r in root)
    assert all(r.findtext("service_request_id") and r.findtext("status") in ("open", "closed") for r in root)
    return root


def assert_answered(response, path, schema):
    event(f"HTTP {response.status_code}")  # (pytest --hypothesis-show-statistics shows the mix)
    assert response.status_code < 500, response.data[:300]
    if response.status_code != 200:
        assert_standard_error(response, expected_format(path))
        return None
    return assert_service_requests(response, expected_format(path), schema)


@pytest.fixture
def reports(make_report, departments):
    """Reports of every shape for GET to find: open and closed, odd text, long text, old."""
    now = datetime.now(UTC)
    made = [
        make_report(description="Deep hole\x01 by the \x0bbus stop\ufffe", address="245 Eastern Pkwy <&>"),
        make_report(category="street-light-out", description="é" * 4000, created_at=now - timedelta(days=1)),
        make_report(category="traffic-signal", description="", address="", created_at=now - timedelta(days=200)),
    ]
    staff = accounts.create_user("staff.fuzz@city.example", "correct horse battery staple", Role.STAFF,
                                 departments["dot-bk"])
    lifecycle.close(made[0], staff, Status.FIXED, "Filled ]]> & done\x02")
    return made


# --- GET requests ----------------------------------------------------------------------------------


@FUZZ
@given(fmt=st.sampled_from(["json", "xml"]), pairs=QUERY, raw=RAW_QUERY)
@example(fmt="json", pairs=[("page", "²")], raw="")
@example(fmt="xml", pairs=[("page", "9" * 30)], raw="")
@example(fmt="json", pairs=[("page_size", "9" * 5000)], raw="")
@example(fmt="json", pairs=[("end_date", "0001-01-01T00:00:00Z")], raw="")
@example(fmt="xml", pairs=[("start_date", "9999-12-31T23:59:59Z")], raw="")
@example(fmt="json", pairs=[("service_request_id", "\x00")], raw="")
@example(fmt="xml", pairs=[("service_code", "a\x00b")], raw="")
@example(fmt="xml", pairs=[("extensions", "true"), ("status", "closed")], raw="")
def test_get_requests_with_any_query_is_answered_by_the_standard(client, schema, reports, fmt, pairs, raw):
    path = f"/open311/v2/requests.{fmt}?{urlencode(pairs)}" + (f"&{raw}" if raw else "")
    assert_answered(client.get(path), path, schema)


def test_get_requests_xml_is_well_formed_whatever_the_stored_text(client, schema, reports):
    """Control characters typed into a report are not XML; they are left out of the XML, kept in the JSON."""
    [closed] = client.get(f"/open311/v2/requests/{reports[0].public_id}.json").get_json()
    assert closed["description"] == "Deep hole\x01 by the \x0bbus stop\ufffe"
    xml = client.get(f"/open311/v2/requests/{reports[0].public_id}.xml?extensions=true")
    root = ElementTree.fromstring(xml.data)
    assert root.findtext("request/description") == "Deep hole by the bus stop"
    assert root.findtext("request/status_notes") == "Filled ]]> & done"
    assert root.findtext("request/address") == "245 Eastern Pkwy <&>"


# --- any path under /open311/v2/ -----------------------------------------------------------------

RESOURCES = ["services", "service", "requests", "tokens", "discovery", "openapi"]
SEGMENT = st.one_of(st.sampled_from([*RESOURCES, "pothole", "100001", "..", ".", "", "v2", "\x00", "%00", "x.json"]),
                    st.text(max_size=12))
SUFFIX = st.sampled_from([".json", ".xml", ".json", ".xml", "", ".JSON", ".csv", ".json.xml", ".xml.json", "/"])
SCHEMA_OF = [(re.compile(r"/open311/v2/services\.json"), "services.json"),
             (re.compile(r"/open311/v2/services?/[^/]+\.json"), "service-definition.json"),
             (re.compile(r"/open311/v2/requests(/[^/]+)?\.json"), "requests.json")]


@FUZZ
@given(method=st.sampled_from(["GET", "GET", "GET", "POST", "PUT", "DELETE"]), segments=st.builds(
       lambda head, rest: [head, *rest], st.sampled_from(RESOURCES) | SEGMENT, st.lists(SEGMENT, max_size=2)),
       suffix=SUFFIX, pairs=QUERY)
@example(method="GET", segments=["requests", "\x00"], suffix=".json", pairs=[])
@example(method="GET", segments=["services", "\x00"], suffix=".xml", pairs=[])
@example(method="GET", segments=["service", "po\x00thole"], suffix=".json", pairs=[])
@example(method="GET", segments=["tokens", "\x00"], suffix=".xml", pairs=[])
@example(method="POST", segments=["services"], suffix=".json", pairs=[])
@example(method="GET", segments=["services", "?"], suffix=".json", pairs=[])
def test_any_path_is_answered_by_the_standard(client, schema, reports, method, segments, suffix, pairs):
    decoded = "/open311/v2/" + "/".join(segments) + suffix
    path = "/open311/v2/" + "/".join(quote(s, safe="") for s in segments) + suffix
    response = client.open(path + (f"?{urlencode(pairs)}" if pairs else ""), method=method)
    event(f"HTTP {response.status_code}")
    assert response.status_code < 500, response.data[:300]
    fmt = "json" if decoded.endswith(".json") else "xml"  # (a "?" in a segment is part of the path here)
    if response.status_code in (301, 308):  # "//" is merged: the same resource, at its one address
        assert unquote(urlsplit(response.location).path) == re.sub("/+", "/", decoded)
    elif response.status_code != 200:
        assert_standard_error(response, fmt)
    elif fmt == "json":
        assert response.mimetype == "application/json"  # (openapi.json is no GeoReport resource: no charset)
        body = response.get_json()
        for pattern, name in SCHEMA_OF:
            if pattern.fullmatch(decoded):
                schema(body, name)
    else:
        assert response.content_type == "text/xml; charset=utf-8"
        ElementTree.fromstring(response.data)


# --- POST requests ---------------------------------------------------------------------------------

@pytest.fixture
def api_key(session):
    from seeclick.open311 import services

    return services.create_key("Fuzzer")[1]


FORM_NAMES = ["api_key", "service_code", "lat", "long", "description", "email", "first_name", "last_name", "phone",
              "address_string", "address_id", "device_id", "account_id", "media_url", "jurisdiction_id",
              "attribute[size]", "attribute[size][]", "attribute[pole_number]", "attribute[apartment]",
              "attribute[whole_building][]", "attribute[]", "attribute[[x]]", "attribute[size", "attribute[\x00]"]
LONG_TEXT = st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "\n", " ", "\x01", "😀"]),
                      st.sampled_from([3999, 4000, 4001, 10_000]))
FORM_VALUE = st.one_of(VALUE, LONG_TEXT)
BASE = st.fixed_dictionaries({
    "service_code": st.sampled_from(["traffic-signal", "pothole", "street-light-out", "no-heat", "nope", ""]),
    "lat": st.sampled_from(["40.6782", "40.6782000000001", "4.06782e1", " 40.6782 "]),
    "long": st.sampled_from(["-73.9442", "-73.94420", "-7.39442e1"]),
    "attribute[size]": st.sampled_from(["small", "large", "huge", ""]),
    "description": st.one_of(st.text(max_size=50), ODD),
})


def first(pairs, name):
    return next((value for key, value in pairs if key == name), None)


@FUZZ
@given(base=BASE, drop=st.sets(st.sampled_from(["service_code", "lat", "long", "attribute[size]", "description"])),
       extra=st.lists(st.tuples(st.one_of(st.sampled_from(FORM_NAMES), st.text(max_size=10)), FORM_VALUE),
                      max_size=6),
       key=st.sampled_from(["valid", "valid-in-query", "none", "wrong", "empty"]), fmt=st.sampled_from(["json", "xml"]),
       multipart=st.booleans(), media=st.none() | st.binary(max_size=64))
@example(base={"service_code": "\x00", "lat": "40.6782", "long": "-73.9442", "attribute[size]": "", "description": ""},
         drop=set(), extra=[], key="valid", fmt="json", multipart=False, media=None)
@example(base={"service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442", "attribute[size]": "",
               "description": "Dark\x01 since \x0bMonday"}, drop=set(), extra=[], key="valid", fmt="xml",
         multipart=False, media=None)
@example(base={"service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442", "attribute[size]": "",
               "description": ""}, drop=set(), extra=[("api_key", "\x00")], key="none", fmt="xml", multipart=True,
         media=b"not a photo")
@example(base={"service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442", "attribute[size]": "",
               "description": ""}, drop=set(), extra=[("\r", "")], key="valid", fmt="json", multipart=True, media=None)
def test_post_requests_with_any_form_is_answered_by_the_standard(client, session, schema, api_key, reports,
                                                                  base, drop, extra, key, fmt, multipart, media):
    form = [(name, value) for name, value in base.items() if name not in drop] + extra
    query = []
    if key == "valid":
        form.insert(0, ("api_key", api_key))
    elif key == "valid-in-query":
        query.append(("api_key", api_key))
    elif key != "none":
        form.insert(0, ("api_key", "" if key == "empty" else "sc_" + api_key[3:][::-1]))
    path = f"/open311/v2/requests.{fmt}" + (f"?{urlencode(query)}" if query else "")
    before = session.scalar(select(func.count()).select_from(Report))
    if multipart:
        data = MultiDict(form)
        if media is not None:
            data.add("media", (io.BytesIO(media), "photo.jpg"))
        response = client.post(path, data=data, content_type="multipart/form-data")
    else:
        response = client.post(path, data=urlencode(form), content_type="application/x-www-form-urlencoded")

    event(f"HTTP {response.status_code}")
    assert response.status_code < 500, response.data[:300]
    made = session.scalar(select(func.count()).select_from(Report)) - before
    if response.status_code != 200:
        assert_standard_error(response, fmt)
        assert made == 0
        return
    everything = query + form
    assert first(everything, "api_key") == api_key  # nothing is made without a valid key
    assert made == 1
    if fmt == "json":
        [answer] = response.get_json()
        request_id = answer["service_request_id"]
    else:
        request_id = ElementTree.fromstring(response.data).findtext("request/service_request_id")
    assert isinstance(request_id, str) and request_id
    read = client.get(f"/open311/v2/requests/{request_id}.json")
    [back] = assert_service_requests(read, "json", schema)
    assert back["service_code"] == first(everything, "service_code").strip()
    assert back["description"] == ((first(everything, "description") or "").strip() or None)
    assert (back["lat"], back["long"]) == pytest.approx((float(first(everything, "lat")),
                                                         float(first(everything, "long"))))
    assert_service_requests(client.get(f"/open311/v2/requests/{request_id}.xml"), "xml", schema)


# --- the inputs that once made a 500, kept as plain regressions --------------------------------------

@pytest.mark.parametrize("query", [
    "page=%C2%B2", "page_size=%C2%B2", "page=99999999999999999999", "page=" + "9" * 5000,
    "end_date=0001-01-01T00:00:00Z", "start_date=9999-12-31T23:59:59Z", "service_request_id=%00",
    "service_code=a%00b",
])
def test_once_crashing_queries_get_a_400(client, query):
    for fmt in ("json", "xml"):
        response = client.get(f"/open311/v2/requests.{fmt}?{query}")
        assert response.status_code == 400
        assert_standard_error(response, fmt)


@pytest.mark.parametrize("path", ["/open311/v2/requests/%00.json", "/open311/v2/services/%00.xml",
                                  "/open311/v2/service/a%00.json"])
def test_a_nul_in_the_path_is_a_standard_error(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert_standard_error(response, expected_format(path))


def test_a_nul_in_a_posted_service_code_is_a_standard_error(client, api_key):
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "traffic\x00signal", "lat": "40.6782", "long": "-73.9442"})
    assert response.status_code == 400
    assert_standard_error(response, "json")


def test_a_multipart_part_with_an_unreadable_name_is_ignored(client, api_key):
    data = MultiDict([("api_key", api_key), ("service_code", "traffic-signal"), ("lat", "40.6782"),
                      ("long", "-73.9442"), ("\r", "werkzeug reads this part's name as None")])
    response = client.post("/open311/v2/requests.json", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and response.get_json()[0]["service_request_id"]


def test_a_time_zone_offset_postgresql_does_not_know_is_read_as_utc(client, make_report):
    """Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59."""
    made = make_report(created_at=datetime.now(UTC) - timedelta(days=1))
    for zone in (timezone(-timedelta(hours=16)), timezone(timedelta(hours=23, minutes=59))):
        start, later = (quote((made.created_at + timedelta(minutes=m)).astimezone(zone).isoformat(timespec="seconds"))
                        for m in (-1, 1))
        found = client.get(f"/open311/v2/requests.json?start_date={start}").get_json()
        assert [r["service_request_id"] for r in found] == [made.public_id]
        assert client.get(f"/open311/v2/requests.json?start_date={later}").get_json() == []


# --- servicerequestupdates ---------------------------------------------------------------------------

UPDATE_NAMES = ["jurisdiction_id", "api_key", "start_date", "end_date", "page", "page_size", "service_request_id",
                "update_id", "status", "updated_datetime", "description", "media_url", "email", "first_name"]
UPDATE_QUERY = st.lists(st.tuples(st.one_of(st.sampled_from(UPDATE_NAMES), st.text(max_size=10)), VALUE), max_size=8)


@FUZZ
@given(fmt=st.sampled_from(["json", "xml"]), pairs=UPDATE_QUERY, raw=RAW_QUERY)
@example(fmt="json", pairs=[("start_date", "0002-01-01"), ("end_date", "9998-12-31")], raw="")
@example(fmt="xml", pairs=[("page", "9" * 18), ("page_size", "1000")], raw="")
def test_get_updates_with_any_query_is_answered_by_the_standard(client, reports, fmt, pairs, raw):
    path = f"/open311/v2/servicerequestupdates.{fmt}?{urlencode(pairs)}" + (f"&{raw}" if raw else "")
    response = client.get(path)
    assert response.status_code < 500, response.data[:300]
    if response.status_code != 200:
        assert_standard_error(response, fmt)
    elif fmt == "json":
        assert all(set(u) >= {"update_id", "service_request_id", "status"} for u in response.get_json())
    else:
        assert ElementTree.fromstring(response.data).tag == "service_request_updates"


@FUZZ
@given(fmt=st.sampled_from(["json", "xml"]), pairs=UPDATE_QUERY, keyed=st.booleans())
@example(fmt="json", pairs=[("service_request_id", "100001"), ("update_id", "1"), ("status", "OPEN"),
                            ("updated_datetime", "2026-12-01T10:00:00Z"), ("description", "\x00")], keyed=True)
def test_post_updates_with_any_form_is_answered_by_the_standard(client, api_key, reports, fmt, pairs, keyed):
    data = ([("api_key", api_key)] if keyed else []) + [
        ("service_request_id", reports[0].public_id), ("update_id", "fuzz"), ("status", "OPEN"),
        ("updated_datetime", "2026-12-01T10:00:00Z"), ("description", "Still there")][:len(pairs) % 6] + pairs
    response = client.post(f"/open311/v2/servicerequestupdates.{fmt}", data=MultiDict(data))
    assert response.status_code < 500, response.data[:300]
    if response.status_code != 200:
        assert_standard_error(response, fmt)
