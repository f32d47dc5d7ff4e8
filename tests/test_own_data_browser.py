"""A reporter's own data in the distribution's Chromium: the mailed link shows the page, the buttons act."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.notifications.models import Follower
from seeclick.privacy import links
from seeclick.privacy.models import ContactRemoval
from seeclick.reports.models import Report
from seeclick.routing import route
from tests.browser import PHONE, screenshot, serious_accessibility_violations

OWNER = "owner.browser@example.org"


@pytest.fixture
def owned(app):
    """A committed report with its reporter following it; removed afterwards with the removal it logged."""
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.code == "pothole"))
        where = LatLon(40.6782, -73.9442)
        report = Report(category=category, location=to_db(where.to_point()), description="Hole by my stoop",
                        department_id=route(category.id, where).department_id, reporter_email=OWNER,
                        reporter_name="Olu", due_at=datetime.now(UTC) + timedelta(days=10))
        db.session.add(report)
        db.session.add(Follower(report=report, email=OWNER, confirmed_at=datetime.now(UTC)))
        db.session.commit()
        report_id, last_removal = report.id, db.session.scalar(select(ContactRemoval.id).order_by(
            ContactRemoval.id.desc()).limit(1)) or 0
    yield report_id
    with app.app_context():
        db.session.execute(delete(Report).where(Report.id == report_id))
        db.session.execute(delete(ContactRemoval).where(ContactRemoval.id > last_removal))
        db.session.commit()


def test_a_reporter_downloads_then_erases_their_data_after_confirming(app, open_page, owned):
    with app.test_request_context():
        path = f"/my-data/{links.token_for(OWNER)}"
    page, _ = open_page(path, PHONE)
    assert "1 report you sent" in page.inner_text("main")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "own-data-1-page-phone")

    with page.expect_download() as download:
        page.click("text=Download my data")
    assert download.value.suggested_filename.startswith("seeclick-my-data-")
    assert OWNER in Path(download.value.path()).read_text(encoding="utf-8")

    page.click("text=Erase my data")  # the box not ticked: nothing happens but a message beside it
    assert "Tick the box" in page.inner_text(".field.has-error")
    with app.app_context():
        assert db.session.get(Report, owned).reporter_email == OWNER
    page.check("#confirm")
    page.click("text=Erase my data")
    assert "are erased" in page.inner_text(".flashes")
    assert "We hold nothing under this address." in page.inner_text("main")
    screenshot(page, "own-data-2-erased-phone")
    with app.app_context():
        report = db.session.get(Report, owned)
        assert (report.reporter_email, report.reporter_name, report.description) == (None, None, "Hole by my stoop")
