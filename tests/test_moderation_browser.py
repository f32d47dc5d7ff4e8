"""A flag's way in the distribution's Chromium: a citizen reports a problem with a report, a moderator hides it."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role, User
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.moderation.models import Flag, Moderation, Reason
from seeclick.reports.models import Report
from seeclick.routing import route
from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations

PASSWORD = "correct horse battery staple"
SLUR = "You idiots never fix anything, call Joe on 718-555-0199"


@pytest.fixture
def abusive(app):
    """A committed report whose description insults and names someone, and a Brooklyn manager."""
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        where = LatLon(40.6782, -73.9442)
        report = Report(category=pothole, location=to_db(where.to_point()), description=SLUR,
                        department_id=route(pothole.id, where).department_id,
                        due_at=datetime.now(UTC) + timedelta(days=10))
        db.session.add(report)
        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        accounts.create_user("browser.moderator@city.example", PASSWORD, Role.MANAGER, brooklyn, "Mo")
        db.session.commit()
        public_id, report_id = report.public_id, report.id
    yield public_id
    with app.app_context():
        db.session.execute(delete(Moderation).where(Moderation.report_id == report_id))
        db.session.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
        db.session.execute(text("DELETE FROM report_update WHERE report_id = :id"), {"id": report_id})
        db.session.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
        db.session.execute(delete(Report).where(Report.id == report_id))
        db.session.execute(delete(User).where(User.email == "browser.moderator@city.example"))
        db.session.commit()


def test_a_citizen_flags_a_report_and_a_moderator_takes_it_down(app, open_page, abusive):
    page, _ = open_page(f"/reports/{abusive}", PHONE)
    page.click("text=Report a problem with this report")
    page.check("input[name=reason][value=abuse]")
    page.fill("#note", "Insults the crew and gives a stranger's phone")
    screenshot(page, "moderation-1-flag-phone")
    assert serious_accessibility_violations(page) == []
    page.click("text=Send to a moderator")
    assert "a moderator will look at it" in page.inner_text(".flashes")
    with app.app_context():
        [flag] = db.session.scalars(select(Flag).join(Report).where(Report.public_id == abusive)).all()
        assert flag.reason is Reason.ABUSE and flag.resolved_at is None

    page, _ = open_page("/login?next=/staff/moderation", DESKTOP)
    page.fill("#email", "browser.moderator@city.example")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")  # the sign-in form's, not the header's look-up
    page.wait_for_selector("table.queue")
    assert "abusive or offensive" in page.inner_text("table.queue")
    screenshot(page, "moderation-2-queue-desktop")
    assert serious_accessibility_violations(page) == []
    page.click(f"text=#{abusive}")
    page.wait_for_selector("#moderation")
    assert "Insults the crew" in page.inner_text("#moderation")  # the flag's note, for moderators only
    assert "718-555-0199" in page.inner_text("#moderation")  # offered as a likely phone number to take out
    form = page.locator("form[action$='/moderation/hide']")
    form.locator("select[name=reason]").select_option("abuse")
    form.locator("textarea[name=note]").fill("Abuse towards the crew")
    form.locator("button").click()
    assert "The public sees the change now" in page.inner_text(".flashes")
    assert "Hidden from the public: abusive or offensive" in page.inner_text("#moderation")
    screenshot(page, "moderation-3-hidden-desktop")

    public, _ = open_page(f"/reports/{abusive}", PHONE)
    body = public.inner_text("main")
    assert "removed by a moderator" in body and "abusive or offensive" in body
    assert "idiots" not in body and "718-555-0199" not in body
    screenshot(public, "moderation-4-removed-phone")
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == abusive))
        assert report.hidden_reason is Reason.ABUSE
        assert {f.resolved_at is not None for f in db.session.scalars(select(Flag).where(
            Flag.report_id == report.id))} == {True}
