"""A person's own data, from a link in their mail: download it, erase it; and contact details not kept for ever."""

import html
import json
import re
from datetime import UTC, datetime, timedelta
from email import message_from_string

import pytest
from sqlalchemy import func, select

from seeclick.accounts.models import User
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.notifications.models import Event, Follower, Notification, Watch
from seeclick.privacy import links, services
from seeclick.privacy.models import ContactRemoval, RemovalRule
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Report, Status, Update, UpdateKind
from seeclick.reports.submission import Draft, submit
from seeclick.stats.models import stats_delta
from tests.conftest import CROWN_HEIGHTS, csrf_token
from tests.test_notifications import committed, file_report, smtp, work_the_queue  # noqa: F401  (fixtures)

ANA = "ana@example.org"


@pytest.fixture
def held(session, make_report, make_follower, departments):
    """Ana's reports, follows, watch and mail, beside Ben's on the same reports."""
    now = datetime.now(UTC)
    mine = make_report(reporter_email="Ana@Example.org", reporter_name="Ana López", reporter_phone="718 555 0100",
                       show_name=True, answers={"size": "large"}, description="Deep hole by my door",
                       address="245 Eastern Parkway", reporter_browser="f" * 64)
    closed = make_report(reporter_email=ANA, status=Status.FIXED, acknowledged_at=now, closed_at=now,
                         description="Fixed already")
    theirs = make_report(reporter_email="ben@example.org", reporter_name="Ben Okafor", reporter_phone="212 555 0199",
                         description="Ben's own hole")
    make_follower(mine, "Ana@Example.org")
    make_follower(closed, ANA)
    make_follower(theirs, ANA)  # Ana follows Ben's report
    make_follower(mine, "ben@example.org")  # and Ben follows Ana's
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    session.add(Watch(email=ANA, neighbourhood=crown, confirmed_at=now))
    session.add_all([
        Notification(event=Event.SUBMITTED, event_key=f"submitted:{mine.id}", recipient=ANA, report_id=mine.id,
                     subject="Report received", body="Thank you, Ana."),
        Notification(event=Event.UPDATE, event_key=f"update:{mine.id}", recipient="ben@example.org",
                     report_id=mine.id, subject="News for Ben", body="Ben's mail"),
    ])
    staff = session.scalar(select(User).limit(1))
    session.add(Update(report=mine, kind=UpdateKind.COMMENT, public=False, body="Caller sounded upset",
                       user=staff, created_at=now))
    session.flush()
    return {"mine": mine, "closed": closed, "theirs": theirs}


def own_data_page(address=ANA):
    return f"/my-data/{links.token_for(address)}"


def test_the_download_holds_the_persons_own_data_and_nobody_elses(client, held):
    page = own_data_page()
    shown = client.get(page)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert "2 reports you sent" in shown.get_data(as_text=True)
    response = client.post(f"{page}/download", data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="seeclick-my-data-')
    text = response.get_data(as_text=True)
    document = json.loads(text)

    assert document["email"] == ANA
    mine, closed = document["reports"]
    assert (mine["number"], closed["number"]) == (held["mine"].public_id, held["closed"].public_id)
    assert mine["contact"] == {"name": "Ana López", "email": "Ana@Example.org", "phone": "718 555 0100",
                               "name_shown_publicly": True}
    assert mine["answers"] == [{"question": "How big is it?", "answer": "Larger than a metre"}]
    assert (mine["latitude"], mine["longitude"], mine["address"]) == (40.6782, -73.9442, "245 Eastern Parkway")
    assert mine["page"].endswith(f"/reports/{held['mine'].public_id}") and mine["browser_remembered"] is True
    assert closed["status"] == "fixed" and closed["closed_at"]
    assert {f["report"] for f in document["following"]} == {r.public_id for r in held.values()}
    assert [w["neighbourhood"] for w in document["watching"]] == ["Crown Heights (North)"]
    assert [(m["subject"], m["body"]) for m in document["mail"]] == [("Report received", "Thank you, Ana.")]
    for someone_elses in ("ben@example.org", "Ben Okafor", "212 555 0199", "Ben's", "Caller sounded upset", "f" * 64):
        assert someone_elses not in text


def test_erasing_asks_first_then_takes_everything_at_once_and_keeps_the_reports_public_facts(
        client, session, held):
    page = own_data_page()
    deltas = session.scalar(select(func.count()).select_from(stats_delta))
    refused = client.post(f"{page}/erase", data={"csrf_token": csrf_token(client, page)})  # the box not ticked
    assert refused.status_code == 422 and "Tick the box" in html.unescape(refused.get_data(as_text=True))
    session.refresh(held["mine"])
    assert held["mine"].reporter_email == "Ana@Example.org"

    erased = client.post(f"{page}/erase", data={"csrf_token": csrf_token(client, page), "confirm": "y"})
    assert erased.status_code == 303 and erased.headers["Location"] == page
    for report in held.values():
        session.refresh(report)
    mine = held["mine"]
    assert (mine.reporter_name, mine.reporter_email, mine.reporter_phone, mine.reporter_browser,
            mine.show_name) == (None, None, None, None, False)
    assert mine.contact_removed_at is not None and held["closed"].reporter_email is None
    assert (mine.description, mine.address, mine.status, mine.category.code) == (
        "Deep hole by my door", "245 Eastern Parkway", Status.NEW, "pothole")
    assert len(session.scalars(select(Update).where(Update.report_id == mine.id)).all()) == 1
    assert held["theirs"].reporter_email == "ben@example.org" and held["theirs"].reporter_name == "Ben Okafor"
    assert session.scalars(select(Follower.email).where(Follower.email.ilike(ANA))).all() == []
    assert session.scalars(select(Follower.email)).all() == ["ben@example.org"]
    assert session.scalars(select(Watch)).all() == []
    assert session.scalars(select(Notification.recipient)).all() == ["ben@example.org"]
    [removal] = session.scalars(select(ContactRemoval)).all()
    assert (removal.rule, removal.months, removal.reports, removal.followers, removal.watches, removal.mails) == (
        RemovalRule.REQUEST, None, 2, 3, 1, 1)
    assert session.scalar(select(func.count()).select_from(stats_delta)) == deltas  # the statistics do not move

    after = client.get(page).get_data(as_text=True)
    assert "Done: your contact details, follows, watches and mail are erased." in after
    assert "We hold nothing under this address." in after
    assert client.get(f"/reports/{mine.public_id}").status_code == 200


def test_private_answers_and_words_a_moderator_took_out_are_the_reporters_to_download_and_go_when_erased(
        client, session, make_report, make_user):
    from seeclick.moderation import queries as moderation
    from seeclick.moderation import services as moderating
    from seeclick.moderation.models import Reason

    heat = make_report(category="no-heat", reporter_email=ANA, answers={"apartment": "4B"},
                       description="No heat since Monday, call me on 718 555 0100")
    moderating.redact(heat, make_user("admin"), "description", "call me on 718 555 0100",
                      Reason.PERSONAL_INFORMATION)
    session.flush()
    page = own_data_page()
    document = client.post(f"{page}/download", data={"csrf_token": csrf_token(client, page)}).get_json()
    [mine] = document["reports"]
    assert mine["answers"] == [{"question": "Apartment number", "answer": "4B"}]
    assert mine["as_you_wrote_it"] == {"description": "No heat since Monday, call me on 718 555 0100"}
    assert "718 555 0100" not in mine["description"]

    client.post(f"{page}/erase", data={"csrf_token": csrf_token(client, page), "confirm": "y"})
    session.refresh(heat)
    assert heat.answers == {} and heat.reporter_email is None
    assert "718 555 0100" not in heat.description  # the public text stays as the moderator left it
    assert moderation.text_before_redactions(heat.id, "description") is None  # the words are gone for good


def test_a_link_that_is_not_ours_is_not_found_and_an_old_one_offers_a_new_one(client, monkeypatch, held):
    assert client.get("/my-data/not-a-token").status_code == 404
    forged = links.token_for(ANA)[:-3] + "AAA"
    assert client.get(f"/my-data/{forged}").status_code == 404
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: datetime.now(UTC).timestamp() - 31 * 86400)
    old = own_data_page()
    monkeypatch.undo()
    page = client.get(old)
    assert page.status_code == 410 and "too old" in page.get_data(as_text=True)
    assert 'action="/my-data"' in page.get_data(as_text=True)
    assert client.post(f"{old}/download", data={"csrf_token": csrf_token(client, "/my-data")}).status_code == 410


def test_asking_for_the_link_mails_it_only_to_an_address_that_holds_something_and_says_the_same(client, session,
                                                                                                 held):
    answers = []
    for address in ("ANA@example.org", "nobody@example.org", ANA):
        response = client.post("/my-data", data={"csrf_token": csrf_token(client, "/my-data"), "email": address})
        assert response.status_code == 303
        answers.append(re.findall(r'<p class="flash[^"]*">([^<]+)</p>', client.get("/my-data").get_data(as_text=True)))
    assert answers[0] == answers[1] == answers[2]
    [mail] = session.scalars(select(Notification).where(Notification.event == Event.OWN_DATA)).all()  # one an hour
    assert mail.recipient == ANA and mail.report_id is None
    token = re.search(r"/my-data/(\S+)", mail.body)[1]
    assert links.address_of(token) == ANA
    refused = client.post("/my-data", data={"csrf_token": csrf_token(client, "/my-data"), "email": "not mail"})
    assert refused.status_code == 422 and "Give your email address" in refused.get_data(as_text=True)


def test_every_update_mail_carries_the_link_for_the_address_it_goes_to(session, categories, make_follower,
                                                                       make_user):
    report, _ = submit(Draft(category_id=categories["pothole"].id, where=CROWN_HEIGHTS, description="Hole",
                             answers={"size": ["small"]}, email="Reporter@Example.org",
                             submission_key="own-data-update"))
    report = session.get(Report, report.id)
    make_follower(report, "neighbour@example.org")
    lifecycle.acknowledge(report, make_user("admin"), "On it")
    mails = session.scalars(select(Notification).where(Notification.report_id == report.id)
                            .order_by(Notification.id)).all()
    assert [m.event for m in mails] == [Event.SUBMITTED, Event.UPDATE, Event.UPDATE]
    for mail in mails:
        token = re.search(r"/my-data/(\S+)", mail.body)[1]
        assert links.address_of(token) == mail.recipient.lower()


def test_the_receipt_through_smtp_links_to_the_reporters_own_data(app, smtp, committed):  # noqa: F811
    inbox, _ = smtp
    file_report(app, "mail-own-data", email="Reporter.Own@example.org")
    work_the_queue(app)
    [(recipients, message)] = inbox.messages
    body = message_from_string(message.as_string()).get_payload(decode=True).decode()
    link = re.search(r"http://127\.0\.0\.1:5000(/my-data/\S+)", body)[1]
    page = app.test_client().get(link)  # the link alone only shows the page: nothing is changed by opening it
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "reporter.own@example.org" in text and "1 report you sent" in text
    assert 'action="' + link + '/erase"' in text


# --- the retention rule ----------------------------------------------------------------------

def ago(months, days=0):
    return datetime.now(UTC) - timedelta(days=months * 30.5 + days)


def closed_report(make_report, months, **overrides):
    return make_report(status=Status.FIXED, created_at=ago(months, 10), acknowledged_at=ago(months, 5),
                       closed_at=ago(months), **overrides)


def test_contact_details_go_from_reports_closed_longer_ago_than_the_setting_with_their_followers_and_mail(
        session, make_report, make_follower):
    old = closed_report(make_report, 25, reporter_email="old@example.org", reporter_name="Old",
                        reporter_phone="1234567")
    no_contact = closed_report(make_report, 26, description="Phoned in, followed online")
    recent = closed_report(make_report, 23, reporter_email="recent@example.org")
    open_old = make_report(created_at=ago(30), reporter_email="waiting@example.org")
    for report in (old, no_contact, recent):
        make_follower(report, "follower@example.org")
    session.add(Notification(event=Event.UPDATE, event_key="old", recipient="old@example.org", report_id=old.id,
                             subject="Fixed", body="Fixed"))
    session.flush()

    removal = services.remove_old_contact(24, batch=1)  # the oldest first
    assert (removal.rule, removal.months, removal.reports, removal.followers, removal.mails) == (
        RemovalRule.RETENTION, 24, 0, 1, 0)
    removal = services.remove_old_contact(24)
    assert (removal.reports, removal.followers, removal.watches, removal.mails) == (1, 1, 0, 1)
    assert services.remove_old_contact(24) is None  # nothing left to do: nothing logged
    for report in (old, no_contact, recent, open_old):
        session.refresh(report)
    assert (old.reporter_email, old.reporter_name, old.reporter_phone) == (None, None, None)
    assert old.contact_removed_at is not None and old.description == "Deep hole" and old.status is Status.FIXED
    assert recent.reporter_email == "recent@example.org" and open_old.reporter_email == "waiting@example.org"
    assert session.scalars(select(Follower.report_id)).all() == [recent.id]
    assert session.scalars(select(Notification).where(Notification.report_id == old.id)).all() == []
    assert len(session.scalars(select(ContactRemoval)).all()) == 2


def test_the_retention_rule_takes_private_answers_too_and_keeps_the_public_ones(session, make_report):
    heat = closed_report(make_report, 25, category="no-heat", answers={"apartment": "4B"})
    pothole = closed_report(make_report, 25, answers={"size": "large"})
    removal = services.remove_old_contact(24)
    assert removal.reports == 1  # the pothole held nothing about anyone
    session.refresh(heat)
    session.refresh(pothole)
    assert heat.answers == {} and pothole.answers == {"size": "large"}


def test_the_retention_rule_runs_every_hour_through_the_job_queue(app):
    from seeclick import jobs

    jobs.queue.perform_import_paths()
    assert any(p.task.name == "remove_old_contact_details" and p.cron == "41 * * * *"
               for p in jobs.queue.periodic_registry.periodic_tasks.values())
    assert app.config["CONTACT_RETENTION_MONTHS"] == 24
