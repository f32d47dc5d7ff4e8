"""Closing the loop: "was it fixed?" asked once, answered by a link, a "no" turned into a request to reopen."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from seeclick.categories.models import ReopenPolicy
from seeclick.notifications.models import Event, Notification
from seeclick.questionnaires import services
from seeclick.questionnaires.models import Decision, Questionnaire, ReopenRequest, Source
from seeclick.reports.models import Report, Status, Update
from seeclick.stats import queries as stats
from seeclick.stats import services as stats_services
from tests.conftest import csrf_token


@pytest.fixture
def fixed(make_report, make_follower, session):
    """A report its reporter follows, closed as fixed eight days ago, and a second, confirmed follower."""
    now = datetime.now(UTC)
    report = make_report(created_at=now - timedelta(days=12), acknowledged_at=now - timedelta(days=11),
                         status=Status.FIXED, closed_at=now - timedelta(days=8),
                         reporter_email="ana@example.org", due_at=now - timedelta(days=2))
    make_follower(report, "ana@example.org")
    make_follower(report, "bo@example.org")
    return report


def questionnaires_for(session, report):
    return session.scalars(select(Questionnaire).where(Questionnaire.report_id == report.id)
                           .order_by(Questionnaire.id)).all()


def link_in(session, recipient, answer):
    body = session.scalar(select(Notification.body).where(Notification.recipient == recipient,
                                                          Notification.event == Event.QUESTIONNAIRE))
    return re.search(rf"https?://[^/\s]+(/fixed/[^/\s]+/{answer})", body)[1]


def test_the_reporter_and_followers_are_asked_once_some_days_after_the_close(session, fixed, departments):
    assert services.ask() == 2
    assert services.ask() == 0  # asked once per person and close
    mails = session.scalars(select(Notification).where(Notification.event == Event.QUESTIONNAIRE)).all()
    assert sorted(m.recipient for m in mails) == ["ana@example.org", "bo@example.org"]
    assert all("Yes, it is fixed:" in m.body and "/fixed/" in m.body for m in mails)


@pytest.mark.parametrize("days, closed_days_ago, asked", [(7, 3, 0), (7, 40, 0), (0, 8, 0), (2, 3, 2)])
def test_the_question_waits_for_the_departments_delay_and_is_not_asked_too_late(
        session, make_report, make_follower, departments, days, closed_days_ago, asked):
    departments["dot-bk"].questionnaire_days = days
    now = datetime.now(UTC)
    report = make_report(created_at=now - timedelta(days=60), status=Status.FIXED,
                         closed_at=now - timedelta(days=closed_days_ago), reporter_email="ana@example.org")
    make_follower(report, "ana@example.org")
    make_follower(report, "bo@example.org")
    assert services.ask() == asked


def test_opening_the_link_records_nothing_the_page_sends_the_answer_once(client, session, fixed):
    services.ask()
    link = link_in(session, "ana@example.org", "yes")
    page = client.get(link)
    assert page.status_code == 200 and 'data-send="now"' in page.get_data(as_text=True)
    assert all(q.answered_at is None for q in questionnaires_for(session, fixed))  # a scanner fetching it: nothing
    token = csrf_token(client, link)
    client.post(link, data={"csrf_token": token})
    client.post(link.replace("/yes", "/no"), data={"csrf_token": token})  # works once
    [ana, bo] = questionnaires_for(session, fixed)
    session.refresh(fixed)
    assert ana.fixed is True and bo.answered_at is None and fixed.fix_confirmed is True
    assert session.scalars(select(ReopenRequest)).all() == []


def test_an_expired_link_says_so(client, session, fixed):
    services.ask()
    [ana, _] = questionnaires_for(session, fixed)
    ana.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    link = link_in(session, "ana@example.org", "no")
    answered = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert answered.status_code == 410 and "expired" in answered.get_data(as_text=True)


def test_a_no_asks_the_department_to_reopen_and_shows_on_the_public_timeline(client, session, fixed):
    services.ask()
    link = link_in(session, "ana@example.org", "no")
    thanks = client.post(link, data={"csrf_token": csrf_token(client, link)}, follow_redirects=True)
    assert "asked to reopen it" in thanks.get_data(as_text=True)
    page = f"/fixed/{link.split('/')[2]}"
    client.post(page, data={"csrf_token": csrf_token(client, page), "note": "The hole is back, deeper"})
    [request] = session.scalars(select(ReopenRequest).where(ReopenRequest.report_id == fixed.id)).all()
    assert request.source is Source.QUESTIONNAIRE and request.decided_at is None
    session.refresh(fixed)
    assert fixed.status is Status.FIXED and fixed.fix_confirmed is False  # staff decide (the category's policy)
    public = client.get(f"/reports/{fixed.public_id}").get_data(as_text=True)
    assert "The reporter says it is not fixed." in public and "The hole is back, deeper" in public


def test_where_the_category_says_so_a_no_reopens_at_once_and_the_clock_goes_on(session, fixed, categories):
    categories["pothole"].reopen_policy = ReopenPolicy.AT_ONCE
    services.ask()
    [ana, _] = questionnaires_for(session, fixed)
    created = fixed.created_at
    services.answer(ana, False)
    session.refresh(fixed)
    assert fixed.is_open and fixed.closed_at is None and fixed.created_at == created and fixed.reopens == 1
    stats_services.fold()
    row = stats.one("department", fixed.department_id)
    assert (row.answered, row.confirmed, row.reopened, row.closed) == (0, 0, 1, 0)  # open: not a close


def test_the_figures_count_answers_beside_closes(session, make_report, make_follower, departments):
    now = datetime.now(UTC)
    stats_services.fold()
    for answer in (True, True, False, None):
        report = make_report(created_at=now - timedelta(days=20), status=Status.FIXED,
                             closed_at=now - timedelta(days=9), reporter_email="ana@example.org")
        make_follower(report, "ana@example.org")
        services.ask()
        if answer is not None:
            [asked] = questionnaires_for(session, report)
            services.answer(asked, answer)
    stats_services.fold()
    row = stats.one("department", departments["dot-bk"].id)
    assert (row.closed, row.answered, row.confirmed) == (4, 3, 2)
    assert row.confirmed_share == pytest.approx(2 / 3) and row.close_rate == 1


def test_the_reporter_asks_to_reopen_from_their_mail_and_staff_decide(client, session, categories, login_as,
                                                                     make_user):
    from seeclick.reports import services as lifecycle
    from tests.test_citizen_reports import report_form

    client.post("/reports/new", data=report_form(client, categories, email="ana@example.org", key="reopen-1"))
    report = session.scalar(select(Report).where(Report.submission_key == "reopen-1"))
    clerk = make_user("staff", "dot-bk", email="clerk@city.example")
    lifecycle.close(report, clerk, Status.FIXED, "Filled.")
    session.flush()
    update_mail = session.scalars(select(Notification.body).where(Notification.event == Event.UPDATE,
                                                                  Notification.recipient == "ana@example.org")).all()
    link = re.search(r"https?://[^/\s]+(/follow/[^/\s]+/reopen)", update_mail[-1])[1]
    empty = client.post(link, data={"csrf_token": csrf_token(client, link), "note": ""})
    assert empty.status_code == 422 and "Say what is still wrong" in empty.get_data(as_text=True)
    client.post(link, data={"csrf_token": csrf_token(client, link), "note": "Still a hole by the bus stop"})
    [request] = session.scalars(select(ReopenRequest).where(ReopenRequest.report_id == report.id)).all()
    assert request.source is Source.REPORTER

    login_as("staff", "dot-bk", email="decider@city.example")
    assert f"#{report.public_id}" in client.get("/staff/queue").get_data(as_text=True)
    ticket = f"/staff/reports/{report.public_id}"
    declined = client.post(f"/staff/reopen-requests/{request.id}/decline",
                           data={"csrf_token": csrf_token(client, ticket), "reason": ""}, follow_redirects=True)
    assert "Give the reason the public will read" in declined.get_data(as_text=True)
    client.post(f"/staff/reopen-requests/{request.id}/accept", data={"csrf_token": csrf_token(client, ticket)})
    session.refresh(report)
    session.refresh(request)
    assert report.is_open and report.reopens == 1 and request.decision is Decision.ACCEPTED
    notes = session.scalars(select(Update.body).where(Update.report_id == report.id, Update.public)).all()
    assert any("Still a hole by the bus stop" in n for n in notes) and any("Reopened" in n for n in notes)


def test_a_followers_link_cannot_ask_for_a_reopen(client, session, fixed):
    from seeclick.notifications.models import Follower

    bo = session.scalar(select(Follower).where(Follower.email == "bo@example.org"))
    assert client.get(f"/follow/{bo.token}/reopen").status_code == 404


def test_a_declined_request_says_why_in_public(client, session, fixed, login_as):
    request = services.request_reopen(fixed, Source.REPORTER, "It is back")
    login_as("manager", "dot-bk")
    ticket = f"/staff/reports/{fixed.public_id}"
    client.post(f"/staff/reopen-requests/{request.id}/decline",
                data={"csrf_token": csrf_token(client, ticket), "reason": "That is a new hole: please report it."})
    public = client.get(f"/reports/{fixed.public_id}").get_data(as_text=True)
    assert "The request to reopen was declined: That is a new hole: please report it." in public
    session.refresh(fixed)
    assert fixed.status is Status.FIXED
