"""FixMyStreet's servicerequestupdates, served: a FixMyStreet site reads a council's changes and posts citizens'
updates, in JSON and XML, as its own Open311 client (perllib/Open311.pm) does."""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from seeclick.moderation import services as moderation
from seeclick.moderation.models import Reason
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Status, Update, UpdateKind
from tests.test_open311 import get


def window(start, end):
    return f"start_date={start:%Y-%m-%dT%H:%M:%SZ}&end_date={end:%Y-%m-%dT%H:%M:%SZ}"


def test_a_fixmystreet_site_reads_each_public_change_with_our_status_exactly(client, make_report, login_as):
    staff = login_as("staff", "dot-bk")
    report = make_report()
    lifecycle.start(report, staff, "Crew on the way")
    lifecycle.add_note(report, staff, "Internal: call the contractor", public=False)
    lifecycle.add_note(report, staff, "Cones are out", public=True)
    lifecycle.close(report, staff, Status.NOT_FIXABLE, "It is a utility cut: passed on")
    now = datetime.now(UTC)
    query = window(now - timedelta(hours=2), now + timedelta(minutes=1))
    found = [u for u in get(client, f"/open311/v2/servicerequestupdates.json?{query}&api_key=x")
             if u["service_request_id"] == report.public_id]
    assert [(u["status"], u["external_status_code"], u["description"]) for u in found] == [
        ("in_progress", "in_progress", "Crew on the way"),
        ("in_progress", "in_progress", "Cones are out"),  # a note: the status it was made in
        ("no_further_action", "not_fixable", "It is a utility cut: passed on"),
    ]
    assert all(u["update_id"] and u["updated_datetime"].endswith("Z") and u["media_url"] is None for u in found)
    root = ElementTree.fromstring(client.get(f"/open311/v2/servicerequestupdates.xml?{query}").data)
    assert root.tag == "service_request_updates"  # what FixMyStreet's XML::Simple reads, with request_update items
    mine = [u for u in root.findall("request_update") if u.findtext("service_request_id") == report.public_id]
    assert [u.findtext("status") for u in mine] == ["in_progress", "in_progress", "no_further_action"]
    assert mine[0].find("media_url") is not None  # every field present, empty when there is nothing


def test_updates_outside_the_window_or_hidden_are_not_listed(client, make_report, login_as, session):
    staff = login_as("manager", "dot-bk")
    report = make_report()
    update = lifecycle.add_note(report, staff, "Call me on 718 555 0100", public=True)
    moderation.hide_note(update, staff, Reason.PERSONAL_INFORMATION)
    session.flush()
    now = datetime.now(UTC)
    [shown] = [u for u in get(client, f"/open311/v2/servicerequestupdates.json?"
                                      f"{window(now - timedelta(minutes=5), now + timedelta(minutes=1))}")
               if u["service_request_id"] == report.public_id]
    assert "718" not in str(shown) and "Removed by a moderator" in shown["description"]
    assert [u for u in get(client, f"/open311/v2/servicerequestupdates.json?"
                                   f"{window(now - timedelta(days=2), now - timedelta(days=1))}")
            if u["service_request_id"] == report.public_id] == []


def test_a_window_holding_more_than_a_page_is_refused_unless_paged(client, session, make_report):
    report = make_report()
    now = datetime.now(UTC)
    session.add_all(Update(report=report, kind=UpdateKind.COMMENT, public=True, body=f"Note {n}",
                           created_at=now - timedelta(seconds=n)) for n in range(1001))
    session.flush()
    query = window(now - timedelta(minutes=30), now + timedelta(minutes=1))
    [error] = get(client, f"/open311/v2/servicerequestupdates.json?{query}", 400)
    assert "More than 1000 updates" in error["description"]
    pages = [get(client, f"/open311/v2/servicerequestupdates.json?{query}&page={n}") for n in (1, 2)]
    assert [len(page) for page in pages] == [1000, 1]  # the client pages while the page is full
    assert pages[0][0]["description"] == "Note 1000" and pages[1][0]["description"] == "Note 0"  # oldest first
    assert get(client, f"/open311/v2/servicerequestupdates.json?{query}&page_size=1001", 400)
    for bad in ("start_date=yesterday", "start_date=2026-12-02&end_date=2026-12-01",
                "start_date=2026-01-01&end_date=2026-12-01"):
        get(client, f"/open311/v2/servicerequestupdates.json?{bad}", 400)


def post_update(client, fmt="json", expect=200, data=None):
    response = client.post(f"/open311/v2/servicerequestupdates.{fmt}", data=data)
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.get_json() if fmt == "json" else ElementTree.fromstring(response.data)


def fms_update(key, report, **overrides):
    """What FixMyStreet's _populate_service_request_update_params sends for a citizen's comment."""
    data = {"api_key": key, "jurisdiction_id": "nyc.gov", "service_request_id": report.public_id,
            "update_id": "248", "status": "OPEN", "updated_datetime": "2026-12-01T10:00:00+00:00",
            "description": "Still there, and deeper", "first_name": "Ana", "last_name": "Diaz",
            "email": "ana@example.org", "media_url": "https://fixmystreet.example/photo/248.0.full.jpeg"}
    data.update(overrides)
    return data


def test_a_citizens_update_from_a_fixmystreet_site_goes_on_the_public_timeline_once(client, session, api_key,
                                                                                   make_report):
    report = make_report()
    root = post_update(client, "xml", data=fms_update(api_key, report))
    assert root.tag == "service_request_updates"
    update_id = root.findtext("request_update/update_id")  # FixMyStreet reads request_update/update_id
    assert post_update(client, data=fms_update(api_key, report)) == [{"update_id": update_id}]  # sent again
    notes = session.scalars(select(Update).where(Update.report_id == report.id)).all()
    assert [(n.body, n.public, n.media_urls) for n in notes] == [
        ("Still there, and deeper", True, ["https://fixmystreet.example/photo/248.0.full.jpeg"])]
    page = client.get(f"/reports/{report.public_id}").get_data(as_text=True)
    assert "Still there, and deeper" in page and "https://fixmystreet.example/photo/248.0.full.jpeg" in page
    assert "ana@example.org" not in page and "Diaz" not in page
    now = datetime.now(UTC)
    [listed] = [u for u in get(client, f"/open311/v2/servicerequestupdates.json?"
                                       f"{window(now - timedelta(minutes=5), now + timedelta(minutes=1))}")
                if u["update_id"] == update_id]
    assert listed["media_url"] == "https://fixmystreet.example/photo/248.0.full.jpeg"


def test_a_citizen_saying_it_is_fixed_tells_staff_without_closing_it(client, session, api_key, make_report):
    report = make_report()
    post_update(client, data=fms_update(api_key, report, status="FIXED", update_id="249", description="Fixed now!"))
    notes = session.scalars(select(Update).where(Update.report_id == report.id).order_by(Update.id)).all()
    assert report.status is Status.NEW
    assert [n.public for n in notes] == [True, False] and "“fixed”" in notes[1].body


@pytest.mark.parametrize(("change", "status", "says"), [
    ({"api_key": "sc_wrong"}, 403, "api_key"),
    ({"service_request_id": "0"}, 404, "0"),
    ({"update_id": ""}, 400, "update_id"),
    ({"status": "SOLVED"}, 400, "status"),
    ({"updated_datetime": "yesterday"}, 400, "updated_datetime"),
    ({"description": "", "media_url": ""}, 400, "description"),
    ({"media_url": "file:///etc/passwd"}, 400, "media_url"),
])
def test_a_bad_update_gets_the_standard_error_and_changes_nothing(client, session, api_key, make_report, change,
                                                                  status, says):
    report = make_report()
    [error] = post_update(client, expect=status, data=fms_update(api_key, report, **change))
    assert error["code"] == status and says in error["description"]
    assert session.scalars(select(Update).where(Update.report_id == report.id)).all() == []
