"""Bans in the distribution's Chromium: a manager blocks a reporter from the ticket, and the blocked
reporter's next report is refused politely on the form."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role, User
from seeclick.bans.models import Ban
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.reports.models import Report
from seeclick.routing import route
from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations

PASSWORD = "correct horse battery staple"
MANAGER = "ban.manager@city.example"
TROLL = "troll.browser@example.org"
REFUSAL = "Sorry, we cannot accept reports sent from here at the moment. If it is urgent, please call 311."


@pytest.fixture
def troll_report(app):
    """A committed report from a troublesome address and a Brooklyn manager; removed afterwards, bans too."""
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.code == "pothole"))
        where = LatLon(40.6782, -73.9442)
        report = Report(category=category, location=to_db(where.to_point()), description="Fake again",
                        department_id=route(category.id, where).department_id, reporter_email=TROLL,
                        reporter_phone="718 555 0100", due_at=datetime.now(UTC) + timedelta(days=10))
        db.session.add(report)
        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        accounts.create_user(MANAGER, PASSWORD, Role.MANAGER, brooklyn, "Mara")
        db.session.commit()
        public_id, report_id = report.public_id, report.id
    yield public_id
    with app.app_context():
        db.session.execute(delete(Ban).where(Ban.report_id == report_id))
        made = db.session.scalars(select(Report.id).where(Report.reporter_email == TROLL)).all()
        db.session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'send_notification'"))
        db.session.execute(delete(Report).where(Report.id.in_(made)))
        db.session.execute(delete(User).where(User.email == MANAGER))
        db.session.commit()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_manager_blocks_a_reporter_from_the_ticket_and_their_next_report_is_refused_politely(
        open_page, troll_report, viewport):
    name = "phone" if viewport is PHONE else "desktop"
    page, _ = open_page(f"/login?next=/staff/reports/{troll_report}", viewport)
    page.fill("#email", MANAGER)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")  # the sign-in form's, not the header's look-up
    page.click("text=Block this reporter from sending more reports")
    page.wait_for_selector("form.narrow")
    assert page.input_value("#email") == TROLL and page.input_value("#phone") == "718 555 0100"
    page.fill("#phone", "")  # only the address
    page.click("form.narrow button[type=submit]")  # no reason given: said beside the field, nothing made
    assert "Say why" in page.inner_text(".field.has-error")
    page.fill("#reason", "Forty fake reports in an hour")
    page.select_option("#days", label="A week")
    assert serious_accessibility_violations(page) == []
    screenshot(page, f"bans-1-new-from-ticket-{name}")
    page.click("form.narrow button[type=submit]")
    page.wait_for_selector("table.bans")
    listed = page.inner_text("table.bans")
    assert TROLL in listed and "Forty fake reports in an hour" in listed and "Mara" in listed
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert serious_accessibility_violations(page) == []
    screenshot(page, f"bans-2-list-{name}")

    citizen, _ = open_page("/reports/new?lat=40.6782&lon=-73.9442", viewport)
    citizen.wait_for_selector("#report-form .leaflet-control-zoom")
    citizen.select_option("select[name=category]", label="Pothole")
    citizen.select_option("select[name=answer-size]:not([disabled])", label="Larger than a metre")
    citizen.fill("#description", "Another one")
    citizen.fill("#email", TROLL.upper())
    citizen.click("#send")
    citizen.wait_for_selector("#error-summary")
    assert citizen.inner_text("#error-summary li") == REFUSAL
    assert "email" not in citizen.inner_text("#error-summary").lower()  # nothing says what matched
    assert citizen.input_value("#description") == "Another one"
    screenshot(citizen, f"bans-3-refused-{name}")
