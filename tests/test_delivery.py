"""Reports sent on to the city's own system, and its changes read back: against a second, real seeclick.

The city's system is another seeclick on its own database, served by gunicorn on its own port; this
one's worker posts to it and reads its servicerequestupdates (or its GET requests), as it would a
city's. What is made here is committed (the worker reads it on its own connections) and removed after.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from seeclick.categories.models import Category
from seeclick.delivery import decide, services
from seeclick.delivery.models import ReportSend, SendMethod, SendState, UpdateSource
from seeclick.extensions import db
from seeclick.notifications.models import Event, Notification
from seeclick.open311.client import Incoming, Outgoing, request_form
from seeclick.reports.models import Report, Status
from seeclick.reports.submission import Draft, submit
from tests.city import JURISDICTION, CitySystem
from tests.conftest import CROWN_HEIGHTS
from tests.test_notifications import work_the_queue


@pytest.fixture(scope="module")
def city(app, tmp_path_factory):
    system = CitySystem(app, tmp_path_factory.mktemp("city") / "gunicorn.log")
    system.start()
    try:
        yield system
    finally:
        system.stop()


@pytest.fixture
def connected(app, city):
    """Potholes here are sent to the city's system (the category's own method), and everything is undone after."""
    with app.app_context():
        system = services.save_system("city", "The city's 311 system", city.url, api_key=city.api_key,
                                      jurisdiction_id=JURISDICTION)
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        services.set_send_method(pothole, SendMethod.OPEN311, system)
        db.session.commit()
        system_id = system.id
    yield system_id
    with app.app_context():
        ids = db.session.scalars(select(Report.id).where(Report.submission_key.like("city-%"))).all()
        db.session.execute(text("DELETE FROM update_source WHERE city_system_id = :id"), {"id": system_id})
        db.session.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
        db.session.execute(text("DELETE FROM report_update WHERE report_id = ANY(:ids)"), {"ids": ids})
        db.session.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
        db.session.execute(text("DELETE FROM report WHERE id = ANY(:ids)"), {"ids": ids})
        db.session.execute(text("UPDATE category SET send_method = NULL, city_system_id = NULL "
                                "WHERE city_system_id = :id"), {"id": system_id})
        db.session.execute(text("DELETE FROM city_system WHERE id = :id"), {"id": system_id})
        db.session.execute(text("DELETE FROM procrastinate_jobs"))
        db.session.commit()


def file_report(app, key, **fields):
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        values = dict(category_id=pothole.id, where=CROWN_HEIGHTS, description="Deep hole by the bus stop",
                      address="245 Eastern Pkwy", answers={"size": ["large"]}, submission_key=key)
        values.update(fields)
        report, _ = submit(Draft(**values))
        db.session.commit()
        return report.public_id


def sending(app, number):
    with app.app_context():
        send = db.session.scalar(select(ReportSend).join(Report).where(Report.public_id == number))
        return {"state": send.state, "attempts": send.attempts, "external_id": send.external_id,
                "last_error": send.last_error}


def retry_now(app):
    """The wait before the next attempt is over."""
    with app.app_context():
        db.session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
        db.session.commit()


def check_the_city(app):
    """The every-minute job that reads the city's changes, as the worker runs it."""
    with app.app_context():
        db.session.execute(text(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('city', 'check_city_systems', 0, 'check_city_systems', NULL, "
            "jsonb_build_object('timestamp', 0), NULL)::procrastinate_job_to_defer_v1])"))
        db.session.commit()
    work_the_queue(app)


def timeline(app, number):
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == number))
        return report.status, [(u.new_status, u.body) for u in report.updates if u.public]


def browser(app):
    """A test client on the committed data (not the rolled-back session of the `client` fixture)."""
    from tests.conftest import RequestContextClient

    app.test_client_class = RequestContextClient
    return app.test_client()


def test_a_report_reaches_the_city_with_its_answers_and_the_citys_changes_come_back(app, city, connected):
    number = file_report(app, "city-1")
    work_the_queue(app)
    sent = sending(app, number)
    assert sent["state"] is SendState.SENT and sent["attempts"] == 1
    [theirs] = city.get(f"requests/{sent['external_id']}.json?extensions=true")
    assert (theirs["service_code"], theirs["description"], theirs["address"]) == (
        "pothole", "Deep hole by the bus stop", "245 Eastern Pkwy")
    assert (theirs["lat"], theirs["long"]) == pytest.approx((CROWN_HEIGHTS.lat, CROWN_HEIGHTS.lon))
    assert theirs["agency_responsible"] == "DOT Brooklyn Borough Office"  # routed there by the city's own rules

    dispatcher = city.staff()
    dispatcher.act(sent["external_id"], "acknowledge", "Crew booked for Tuesday")
    dispatcher.note(sent["external_id"], "Cones are out")
    dispatcher.act(sent["external_id"], "close", "Filled and rolled", resolution="fixed")
    check_the_city(app)  # one polling interval
    status, public = timeline(app, number)
    assert status is Status.FIXED
    assert public == [(Status.ACKNOWLEDGED, "Crew booked for Tuesday"), (None, "Cones are out"),
                      (Status.FIXED, "Filled and rolled")]
    page = browser(app).get(f"/reports/{number}").get_data(as_text=True)
    assert "Crew booked for Tuesday" in page and "Filled and rolled" in page
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == number))
        assert report.acknowledged_at is not None and report.closed_at is not None

    check_the_city(app)  # read again (the windows overlap): nothing is applied twice
    assert timeline(app, number)[1] == public
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UpdateSource)
                                 .where(UpdateSource.city_system_id == connected)) == 3


def test_sending_survives_the_citys_system_going_down_and_coming_back(app, city, connected):
    city.stop()
    try:
        number = file_report(app, "city-2")
        work_the_queue(app)
        down = sending(app, number)
        assert down["state"] is SendState.PENDING and down["attempts"] == 1
        assert "ConnectionError" in down["last_error"]
        retry_now(app)
        work_the_queue(app)
        assert sending(app, number)["attempts"] == 2
    finally:
        city.start()
    retry_now(app)
    work_the_queue(app)
    back = sending(app, number)
    assert back["state"] is SendState.SENT and back["attempts"] == 3 and back["last_error"] is None
    [theirs] = city.get(f"requests/{back['external_id']}.json")
    assert theirs["description"] == "Deep hole by the bus stop"


def test_a_wrong_service_code_shows_the_citys_own_answer_on_the_ticket(app, city, connected):
    with app.app_context():
        system = db.session.get(services.CitySystem, connected)
        services.map_service(system, db.session.scalar(select(Category).where(Category.code == "pothole")),
                             "potholes-and-ruts")
        db.session.commit()
    number = file_report(app, "city-3")
    work_the_queue(app)
    failed = sending(app, number)
    assert failed["state"] is SendState.PENDING and "HTTP 404" in failed["last_error"]
    assert "potholes-and-ruts" in failed["last_error"]  # the city says which code it does not know
    with app.app_context():
        db.session.execute(text("DELETE FROM city_service"))
        db.session.commit()
    from seeclick.accounts.models import Role, User
    from tests.conftest import PASSWORD, csrf_token

    with app.app_context():
        staff = User(email="dispatch.city@city.example", role=Role.STAFF, name="",
                     department_id=db.session.scalar(select(Report.department_id).where(Report.public_id == number)))
        staff.set_password(PASSWORD)
        db.session.add(staff)
        db.session.commit()
    try:
        client = browser(app)
        client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": "dispatch.city@city.example",
                                    "password": PASSWORD})
        ticket = client.get(f"/staff/reports/{number}").get_data(as_text=True)
        assert "trying again" in ticket and "potholes-and-ruts" in ticket
        client.post(f"/staff/reports/{number}/send-again",
                    data={"csrf_token": csrf_token(client, f"/staff/reports/{number}")})
        work_the_queue(app)  # sent now, without waiting for the next retry
        assert sending(app, number)["state"] is SendState.SENT
        assert "its number" in client.get(f"/staff/reports/{number}").get_data(as_text=True)
    finally:
        with app.app_context():
            db.session.execute(text("DELETE FROM user_account WHERE email = 'dispatch.city@city.example'"))
            db.session.commit()


def test_the_reporters_contact_goes_only_to_a_system_set_to_receive_it(app, city, connected, tmp_path):
    app.config["MAIL_DIRECTORY"] = str(tmp_path)
    number = file_report(app, "city-4", email="ana@example.org", phone="718-555-0100", name="Ana Diaz")
    work_the_queue(app)
    with app.app_context():
        db.session.execute(text("UPDATE city_system SET send_contact = true WHERE id = :id"), {"id": connected})
        db.session.commit()
    second = file_report(app, "city-5", email="ben@example.org", name="Ben Ode")
    work_the_queue(app)
    with city.app.app_context():
        rows = dict(db.session.execute(text("SELECT description, reporter_email FROM report WHERE reporter_email "
                                            "IS NOT NULL OR description LIKE 'Deep hole%'")).all())
    assert rows == {"Deep hole by the bus stop": "ben@example.org"}
    for made in (number, second):  # and neither shows it in its public answers
        [theirs] = city.get(f"requests/{sending(app, made)['external_id']}.json")
        assert "example.org" not in str(theirs) and "Ana" not in str(theirs) and "Ben" not in str(theirs)


def test_the_city_read_by_get_requests_updated_after_in_json(app, city, connected):
    with app.app_context():
        db.session.execute(text("UPDATE city_system SET updates = 'requests', format = 'json' WHERE id = :id"),
                           {"id": connected})
        db.session.commit()
    number = file_report(app, "city-6")
    work_the_queue(app)
    external = sending(app, number)["external_id"]
    dispatcher = city.staff()
    dispatcher.act(external, "close", "Not ours: a gas company cut", resolution="not_fixable")
    check_the_city(app)
    status, public = timeline(app, number)
    assert status is Status.FIXED  # the standard says only "closed"; its words come with it
    assert public == [(Status.FIXED, "Not ours: a gas company cut")]
    check_the_city(app)
    assert timeline(app, number)[1] == public


# The decisions, as plain functions.

def incoming(**overrides):
    values = dict(external_id="9", updated_at=datetime(2026, 12, 1, tzinfo=UTC), status="open")
    values.update(overrides)
    return Incoming(**values)


@pytest.mark.parametrize(("current", "change", "expected"), [
    (Status.NEW, dict(status="investigating", external_status_code="acknowledged"), Status.ACKNOWLEDGED),
    (Status.IN_PROGRESS, dict(status="open"), None),  # "open" says only the kind: an open report stays
    (Status.FIXED, dict(status="open"), Status.ACKNOWLEDGED),  # reopened
    (Status.NEW, dict(status="closed"), Status.FIXED),
    (Status.NOT_FIXABLE, dict(status="closed"), None),
    (Status.NEW, dict(status="not_councils_responsibility"), Status.NOT_OURS),
    (Status.NEW, dict(status="no_further_action"), Status.NOT_FIXABLE),
    (Status.NEW, dict(status="internal_referral"), None),
    (Status.NEW, dict(status="something new"), None),
    (Status.ACKNOWLEDGED, dict(status="fixed", external_status_code="not_fixable"), Status.NOT_FIXABLE),
])
def test_the_status_a_city_change_means_here(current, change, expected):
    assert decide.target_status(current, incoming(**change)) == expected


def test_a_change_that_says_nothing_new_writes_nothing():
    assert decide.change_for(Status.NEW, "Crew booked", incoming(description="Crew booked")) is None
    assert decide.change_for(Status.NEW, None, incoming(description="")) is None
    assert decide.change_for(Status.NEW, "Crew booked", incoming(description="Filled")) == decide.Change(None,
                                                                                                         "Filled")


def test_the_form_a_report_is_posted_with():
    form = request_form(Outgoing("pothole", 40.6782, -73.9442, address="245 Eastern Pkwy",
                                 answers={"size": ["large"], "lanes": ["left", "right"]},
                                 media_urls=("https://a.example/1.jpg",), name="Ana de la Cruz"),
                        "city.example", "KEY")
    assert ("attribute[size]", "large") in form and ("attribute[lanes][]", "right") in form
    assert ("first_name", "Ana") in form and ("last_name", "de la Cruz") in form
    assert ("media_url", "https://a.example/1.jpg") in form and ("jurisdiction_id", "city.example") in form
    assert not any(name in ("email", "phone") for name, _ in form)  # none given, none sent


def test_staff_are_told_once_when_a_report_keeps_failing_and_it_stops_after_the_last_attempt(
        session, make_report, make_user):
    make_user("staff", "dot-bk", email="dispatch@city.example")
    system = services.save_system("down", "A system that is down", "http://127.0.0.1:9/open311/v2")
    report = make_report()
    send = ReportSend(report_id=report.id, city_system_id=system.id)
    session.add(send)
    session.flush()
    for attempt in range(1, decide.GIVE_UP_AFTER + 1):
        services.record_failure(send.id, ConnectionError("connection refused"))
        alerts = session.scalars(select(Notification).where(Notification.event == Event.SEND_FAILED)).all()
        assert len(alerts) == (0 if attempt < decide.ALERT_AFTER else 1)
        assert send.state is (SendState.FAILED if attempt == decide.GIVE_UP_AFTER else SendState.PENDING)
    [alert] = alerts
    assert alert.recipient == "dispatch@city.example" and f"#{report.public_id}" in alert.subject
    assert "connection refused" in alert.body
    services.resend(send)
    assert (send.state, send.attempts, send.alerted_at) == (SendState.PENDING, 0, None)


def test_a_report_passed_to_a_department_that_sends_by_open311_is_sent_there(session, make_report, login_as,
                                                                             departments):
    system = services.save_system("qn", "Queens' system", "http://127.0.0.1:9/open311/v2")
    services.set_send_method(departments["dot-qn"], SendMethod.OPEN311, system)
    report = make_report()
    assert session.scalars(select(ReportSend).where(ReportSend.report_id == report.id)).all() == []
    from seeclick.reports import services as lifecycle

    lifecycle.reassign(report, login_as("staff", "dot-bk"), departments["dot-qn"], "It is over the line")
    [send] = session.scalars(select(ReportSend).where(ReportSend.report_id == report.id)).all()
    assert send.city_system_id == system.id and send.state is SendState.PENDING
    assert session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.event == Event.ASSIGNED, Notification.report_id == report.id)) == 0


def test_the_rule_is_the_categorys_method_else_the_departments(session, departments, categories):
    system = services.save_system("rule", "A system", "http://127.0.0.1:9/open311/v2")
    from seeclick.delivery import queries

    bk, pothole = departments["dot-bk"], categories["pothole"]
    assert queries.target(bk.id, pothole.id) is None  # mail, as before
    services.set_send_method(bk, SendMethod.OPEN311, system)
    assert queries.target(bk.id, pothole.id) == system.id
    services.set_send_method(pothole, SendMethod.NONE, None)
    assert queries.target(bk.id, pothole.id) is None  # the category says otherwise
    services.set_send_method(pothole, None, None)
    assert queries.target(bk.id, pothole.id) == system.id
    with pytest.raises(services.DeliveryError):
        services.set_send_method(bk, SendMethod.OPEN311, None)


def test_an_administrator_chooses_how_a_departments_reports_leave(client, session, login_as, departments):
    from tests.conftest import csrf_token

    system = services.save_system("admin-city", "The city's CRM", "http://127.0.0.1:9/open311/v2")
    login_as("admin")
    page = f"/admin/departments/{departments['dot-bk'].code}"
    form = {"csrf_token": csrf_token(client, page), "code": "dot-bk", "name": "DOT Brooklyn Borough Office",
            "agency": "dot", "questionnaire_days": "7", "send_method": "open311", "city_system": "0"}
    refused = client.post(page, data=form)
    assert refused.status_code == 422 and "Open311 needs the city system" in refused.get_data(as_text=True)
    assert client.post(page, data={**form, "city_system": str(system.id)}).status_code == 302
    session.expire_all()
    assert (departments["dot-bk"].send_method, departments["dot-bk"].city_system_id) == (SendMethod.OPEN311,
                                                                                         system.id)
    assert client.post(page, data={**form, "send_method": "none"}).status_code == 302
    session.expire_all()
    assert (departments["dot-bk"].send_method, departments["dot-bk"].city_system_id) == (SendMethod.NONE, None)


def test_flask_cities_sets_up_a_system_and_says_how_sending_goes(cli, session, make_report, categories):
    added = cli.invoke(args=["cities", "add", "crm", "The city's CRM", "https://311.city.example/open311/v2",
                             "--api-key", "K", "--jurisdiction", "city.example", "--format", "json"])
    assert added.exit_code == 0, added.output
    assert cli.invoke(args=["cities", "send", "open311", "--category", "pothole", "--city", "crm"]).exit_code == 0
    assert cli.invoke(args=["cities", "service", "crm", "pothole", "PWD-POT"]).exit_code == 0
    assert categories["pothole"].send_method is SendMethod.OPEN311
    system = categories["pothole"].city_system
    from seeclick.delivery import queries

    assert queries.service_code(system.id, categories["pothole"]) == "PWD-POT"
    sent = ReportSend(report_id=make_report().id, city_system_id=system.id, state=SendState.SENT, attempts=3,
                      external_id="1", sent_at=datetime.now(UTC))
    session.add_all([sent, ReportSend(report_id=make_report().id, city_system_id=system.id, attempts=2)])
    session.flush()
    status = cli.invoke(args=["cities", "status"])
    assert "crm: 1 sent (1 after a retry, 2 retries), 1 waiting (1 after a failed attempt), 0 failed; " \
           "0 updates applied; never read" in status.output
    listed = cli.invoke(args=["cities", "list"]).output
    assert "https://311.city.example/open311/v2" in listed and "K" not in listed.split("\t")[-1]
    refused = cli.invoke(args=["cities", "add", "bad", "Bad", "ftp://x"])
    assert refused.exit_code == 1 and "base URL" in refused.output
    assert cli.invoke(args=["cities", "send", "department", "--category", "pothole"]).exit_code == 0
    assert categories["pothole"].send_method is None
