"""Bans: managers and administrators block an address, a number or a browser; its reports are refused politely."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from seeclick import ratelimits
from seeclick.bans import matching
from seeclick.bans import services as bans
from seeclick.bans.models import Ban, BanKind
from seeclick.notifications.models import Notification
from seeclick.reports.models import Report
from seeclick.reports.submission import browser_key
from seeclick.reports.views import BROWSER_COOKIE
from tests.conftest import csrf_token
from tests.test_citizen_reports import count, report_form

REFUSAL = "Sorry, we cannot accept reports sent from here at the moment. If it is urgent, please call 311."


def test_email_addresses_match_whatever_their_case_and_phone_numbers_by_their_digits():
    assert matching.email_value("  Ana.Lopez@Example.ORG ") == "ana.lopez@example.org"
    assert matching.email_value("not an address") is None
    assert matching.phone_value("+1 (718) 555-0100") == matching.phone_value("1.718.555.0100") == "17185550100"
    assert matching.phone_value("555-01") is None  # too few digits to name one phone


def ban_form(client, **fields):
    data = {"csrf_token": csrf_token(client, "/staff/bans/new"), "email": "", "phone": "", "reason": "Abusive",
            "days": "30"}
    data.update(fields)
    return data


def sent(client, categories, **fields):
    """Send a report through the web form as a citizen would; the response."""
    return client.post("/reports/new", data=report_form(client, categories, **fields))


def test_a_manager_blocks_an_address_and_its_reports_are_refused_politely_in_any_case(
        app, client, session, categories, login_as):
    manager = login_as("manager", "dot-bk")
    made = client.post("/staff/bans/new", data=ban_form(client, email="Troll@Example.org", reason="Threats to staff"))
    assert made.status_code == 303
    [ban] = session.scalars(select(Ban)).all()
    assert (ban.kind, ban.value, ban.created_by_id) == (BanKind.EMAIL, "troll@example.org", manager.id)
    assert timedelta(days=29, hours=23) < ban.expires_at - ban.created_at <= timedelta(days=30)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    before = count(session, Report)
    refused = sent(client, categories, email="TROLL@example.ORG", key="k-troll")
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and REFUSAL in page
    assert "A deep hole in the right lane" in page  # what was typed stays, as with any refusal
    assert count(session, Report) == before
    assert session.scalar(select(Notification).where(Notification.recipient.ilike("troll@example.org"))) is None

    accepted = sent(client, categories, email="someone.else@example.org", key="k-else")
    assert accepted.status_code == 303


def test_a_phone_number_is_matched_by_its_digits_on_the_open311_api_too(client, session, login_as):
    from seeclick.open311 import services as open311

    login_as("admin")
    assert client.post("/staff/bans/new", data=ban_form(client, phone="+1 (718) 555-0100")).status_code == 303
    key = open311.create_key("City app")[1]
    refused = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442",
        "phone": "1-718-555-0100"})
    assert refused.status_code == 403
    assert refused.get_json() == [{"code": 403, "description": REFUSAL}]
    allowed = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442",
        "phone": "1-718-555-0199"})
    assert allowed.status_code == 200


def test_the_browser_that_sent_a_report_is_blocked_from_its_ticket_without_anyone_seeing_its_token(
        app, client, session, categories, login_as):
    citizen = app.test_client()
    first = citizen.post("/reports/new", data=report_form(citizen, categories, key="k-b1", email="ana@example.org",
                                                           phone="718 555 0100"))
    assert first.status_code == 303
    with app.app_context():  # the site gave this browser its token with the report, signed
        token = ratelimits.browser_id_in(citizen.get_cookie(BROWSER_COOKIE).value)
    report = session.scalar(select(Report).where(Report.submission_key == "k-b1"))
    assert report.reporter_browser == browser_key(token) and token not in report.reporter_browser

    login_as("manager", "dot-bk")
    ticket = client.get(f"/staff/reports/{report.public_id}").get_data(as_text=True)
    assert f'href="/staff/bans/new?report={report.public_id}"' in ticket
    form = client.get(f"/staff/bans/new?report={report.public_id}").get_data(as_text=True)
    assert 'value="ana@example.org"' in form and 'value="718 555 0100"' in form
    assert re.search(r'<input checked id="browser" name="browser" type="checkbox"', form)
    assert token not in form and report.reporter_browser not in form
    made = client.post("/staff/bans/new", data=ban_form(client, report=report.public_id, browser="y",
                                                        reason="Forty fake reports in an hour"))
    assert made.status_code == 303
    [ban] = session.scalars(select(Ban)).all()
    assert (ban.kind, ban.value, ban.report_id) == (BanKind.BROWSER, report.reporter_browser, report.id)
    listed = client.get("/staff/bans/").get_data(as_text=True)
    assert re.search(rf'The browser that sent <a href="/staff/reports/{report.public_id}">', listed)
    assert "Forty fake reports in an hour" in listed and report.reporter_browser not in listed

    # The same browser, now without its email or phone: refused all the same; another browser is not.
    again = citizen.post("/reports/new", data=report_form(citizen, categories, key="k-b2"))
    assert again.status_code == 422 and REFUSAL in html.unescape(again.get_data(as_text=True))
    stranger = app.test_client()
    assert stranger.post("/reports/new", data=report_form(stranger, categories, key="k-b3")).status_code == 303


def test_an_expired_or_lifted_ban_blocks_nobody_and_the_list_says_who_lifted_it_and_when(
        client, session, categories, login_as, make_user):
    colleague = make_user("admin", email="colleague@city.example", name="Cole")
    [expired] = bans.ban(colleague, "Spam", 1, email="old@example.org")
    expired.created_at, expired.expires_at = datetime.now(UTC) - timedelta(days=3), datetime.now(UTC) - timedelta(1)
    [lifted] = bans.ban(colleague, "Mistaken", 7, email="mistake@example.org")
    session.flush()
    manager = login_as("manager", "dot-bk", name="Mara")
    page = client.get("/staff/bans/")
    lift = client.post(f"/staff/bans/{lifted.id}/lift", data={"csrf_token": csrf_token(client, "/staff/bans/")})
    assert lift.status_code == 303
    session.refresh(lifted)
    assert lifted.lifted_by_id == manager.id and lifted.lifted_at is not None

    listed = client.get("/staff/bans/").get_data(as_text=True)
    in_force, ended = listed.split("<h2>Ended</h2>")
    assert "Nobody is blocked." in in_force
    assert "old@example.org" in ended and "Expired" in ended and "Spam" in ended
    assert "mistake@example.org" in ended and "Lifted by Mara" in ended and "Cole" in ended
    assert page.status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for key, email in (("k-old", "old@example.org"), ("k-mistake", "mistake@example.org")):
        assert sent(client, categories, email=email, key=key).status_code == 303


@pytest.mark.parametrize("fields, field, says", [
    ({}, "email", "Give an email address or a phone number to block"),
    ({"email": "not-an-address"}, "email", "does not look like an email address"),
    ({"phone": "55-01"}, "phone", "at least 7 digits"),
    ({"email": "a@example.org", "reason": "  "}, "reason", "Say why"),
    ({"email": "a@example.org", "days": "99999"}, "days", "Choose how long the ban lasts"),
], ids=["nothing to block", "not an address", "too few digits", "no reason", "no such duration"])
def test_a_ban_that_cannot_be_made_is_explained_beside_its_field(client, session, login_as, fields, field, says):
    login_as("manager", "dot-bk")
    refused = client.post("/staff/bans/new", data=ban_form(client, **fields))
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    beside = re.search(rf'<div class="field has-error">\s*<label for="{field}">.*?</ul>', page, re.S)
    assert beside and says in beside[0]
    assert session.scalars(select(Ban)).all() == []


def test_an_address_already_blocked_is_not_blocked_twice(client, session, login_as, make_user):
    bans.ban(make_user("admin", email="first@city.example"), "Spam", 7, email="twice@example.org")
    login_as("manager", "dot-bk")
    refused = client.post("/staff/bans/new", data=ban_form(client, email="Twice@example.org"))
    assert refused.status_code == 422 and "This email address is already blocked until" in refused.get_data(
        as_text=True)
    assert len(session.scalars(select(Ban)).all()) == 1


def test_a_manager_cannot_read_another_departments_reporter_through_the_ban_form(client, login_as, make_report):
    report = make_report(reporter_email="private@example.org")  # Brooklyn's
    login_as("manager", "dot-qn")
    refused = client.get(f"/staff/bans/new?report={report.public_id}")
    assert refused.status_code == 403 and "private@example.org" not in refused.get_data(as_text=True)
    assert client.get("/staff/bans/new?report=999999999").status_code == 404


def test_staff_neither_see_the_ban_link_nor_open_the_bans(client, login_as, make_report):
    report = make_report(reporter_email="ana@example.org")
    login_as("staff", "dot-bk")
    assert "/staff/bans/new" not in client.get(f"/staff/reports/{report.public_id}").get_data(as_text=True)
    assert client.get("/staff/bans/").status_code == 403
