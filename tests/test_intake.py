"""A call taker enters a report for someone on the phone: the same checks, routing, answer and mail."""

import html

from sqlalchemy import func, select

from seeclick.addresses.models import Address
from seeclick.notifications.models import Notification
from seeclick.reports.models import Channel, Report
from tests.conftest import CROWN_HEIGHTS, csrf_token


def intake_form(client, categories, **overrides):
    pothole = categories["pothole"]
    data = {"csrf_token": csrf_token(client, "/staff/intake/"), "submission_key": overrides.pop("key", "call-1"),
            "step": "send", "lat": str(CROWN_HEIGHTS.lat), "lon": str(CROWN_HEIGHTS.lon), "category": str(pothole.id),
            f"answer-{pothole.questions[0].code}": pothole.questions[0].values[0]["key"],
            "description": "Caller says the hole is outside the school", "address": "Eastern Pkwy & Nostrand Ave",
            "email": "", "name": "", "phone": ""}
    data.update(overrides)
    return data


def test_staff_of_any_department_take_a_call_routed_answered_and_mailed_like_any_report(client, session, login_as,
                                                                                      categories):
    login_as("staff", "parks-bk")  # Parks, taking a call about a pothole: it goes to Transportation
    page = html.unescape(client.get("/staff/intake/").get_data(as_text=True))
    assert "Report for a caller" in page and "4. The caller (optional)" in page
    assert "Caller's email, if they want updates" in page
    response = client.post("/staff/intake/", data=intake_form(client, categories, email="caller@example.org",
                                                              phone="718 555 0100", name="Ana"))
    assert response.status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == "call-1"))
    assert response.headers["Location"] == f"/staff/intake/{report.public_id}"
    assert report.channel is Channel.PHONE and report.department.code == "dot-bk"
    assert (report.reporter_email, report.reporter_phone, report.reporter_browser) == \
        ("caller@example.org", "718 555 0100", None)
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.report_id == report.id, Notification.recipient == "caller@example.org")) == 1  # the receipt

    done = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    spoken = " ".join(report.public_id)
    assert f"#{report.public_id}" in done and f"that is {spoken}." in done
    assert report.department.name in done and "The department's target is" in done
    assert "We are sending a receipt to caller@example.org" in done
    public = client.get(f"/reports/{report.public_id}").get_data(as_text=True)
    assert "caller@example.org" not in public and "555 0100" not in public


def test_the_callers_contact_follows_the_citizen_forms_rules(client, session, login_as, categories):
    login_as("manager", "dsny-bk03")
    response = client.post("/staff/intake/", data=intake_form(client, categories, email="ana at example",
                                                              phone="call me"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This does not look like an email address; check it, or leave it empty." in page
    assert "Give a phone number with its digits" in page
    assert 'value="Caller says the hole is outside the school"' in page or "outside the school</textarea>" in page
    assert session.scalar(select(func.count()).select_from(Report).where(Report.submission_key == "call-1")) == 0


def test_an_anonymous_caller_is_told_how_to_follow_it(client, session, login_as, categories):
    login_as("staff", "dot-qn")
    response = client.post("/staff/intake/", data=intake_form(client, categories))
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "call again and give the number" in done


def test_the_call_taker_finds_the_place_by_address_without_script(client, session, login_as, categories):
    login_as("staff", "dot-bk")
    form = intake_form(client, categories, lat="", lon="", step="find-address", address_query="11238")
    assert "ZIP code 11238, Brooklyn" in client.post("/staff/intake/", data=form).get_data(as_text=True)
    [choice] = session.scalars(select(Address.id).where(Address.postcode == "11238", Address.kind == "postcode"))
    form.update(step="use-address", address_choice=str(choice))
    page = client.post("/staff/intake/", data=form).get_data(as_text=True)
    assert "Placed at ZIP code 11238, Brooklyn." in page


def test_a_call_centre_is_not_throttled_like_one_citizens_address(client, session, login_as, categories):
    login_as("staff", "dot-bk")
    for n in range(22):  # more than REPORT_LIMIT's 20 an hour from one address
        response = client.post("/staff/intake/", data=intake_form(client, categories, key=f"call-{n}"))
        assert response.status_code == 303, n


def test_signed_out_people_and_citizens_cannot_take_calls(client, login_as):
    assert client.get("/staff/intake/").status_code == 302
    login_as("citizen")
    assert client.get("/staff/intake/").status_code == 403


def test_an_expired_page_keeps_everything_the_call_taker_typed(client, session, login_as, categories):
    login_as("staff", "dot-bk")
    form = intake_form(client, categories, csrf_token="expired", email="caller@example.org")
    response = client.post("/staff/intake/", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "This page had expired, so nothing was sent." in page
    assert 'value="caller@example.org"' in page
