"""A dispatcher's morning in the distribution's Chromium: sign in, acknowledge, close with a note."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role, User
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.reports.models import Report, Status
from seeclick.routing import route
from tests.browser import PHONE, screenshot, serious_accessibility_violations

PASSWORD = "correct horse battery staple"


@pytest.fixture
def ticket(app):
    """A committed pothole report and a Brooklyn dispatcher (the live server has its own connections)."""
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        where = LatLon(40.6782, -73.9442)
        report = Report(category=pothole, location=to_db(where.to_point()), description="Deep hole by the bus stop",
                        department_id=route(pothole.id, where).department_id,
                        due_at=datetime.now(UTC) + timedelta(days=10))
        db.session.add(report)
        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        accounts.create_user("browser.dispatcher@city.example", PASSWORD, Role.STAFF, brooklyn, "Dana")
        db.session.commit()
        public_id, report_id = report.public_id, report.id
    yield public_id
    with app.app_context():  # the update log refuses DELETE: lift the guard for this test's own rows only
        db.session.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
        db.session.execute(text("DELETE FROM report_update WHERE report_id = :id"), {"id": report_id})
        db.session.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
        db.session.execute(delete(Report).where(Report.id == report_id))
        db.session.execute(delete(User).where(User.email == "browser.dispatcher@city.example"))
        db.session.commit()


def test_a_dispatcher_acknowledges_and_closes_a_ticket(app, open_page, ticket):
    page, _ = open_page("/login?next=/staff/queue", PHONE)
    page.fill("#email", "browser.dispatcher@city.example")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")  # the sign-in form's, not the header's look-up
    page.wait_for_selector("table.queue")
    screenshot(page, "staff-1-queue-phone")
    assert serious_accessibility_violations(page) == []

    page.click(f"text=#{ticket}")
    page.wait_for_selector("h1")
    assert serious_accessibility_violations(page) == []
    page.fill("#note-acknowledge", "A crew will look at it this week.")
    page.click("form[aria-labelledby=action-acknowledge] button")
    assert "Acknowledged. The reporter has been told." in page.inner_text(".flashes")
    screenshot(page, "staff-2-acknowledged-phone")

    page.click("form[aria-labelledby=action-close] button")  # no note: refused, explained
    assert "Write a closing note" in page.inner_text("form.action.failed")
    screenshot(page, "staff-3-close-refused-phone")
    page.select_option("form[aria-labelledby=action-close] select[name=resolution]", "fixed")
    page.fill("form[aria-labelledby=action-close] textarea[name=note]", "Filled and rolled this morning.")
    page.click("form[aria-labelledby=action-close] button")
    assert "Closed." in page.inner_text(".flashes")
    assert re.search(r"Now fixed\s.*Filled and rolled this morning\.", page.inner_text(".timeline"), re.S)
    screenshot(page, "staff-4-closed-phone")

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == ticket))
        assert report.status is Status.FIXED and report.acknowledged_at < report.closed_at
