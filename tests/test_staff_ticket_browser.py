"""In the distribution's Chromium: a tap on the queue map opens the ticket, and the ticket shows where it is."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role, User
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.reports.models import Report
from seeclick.routing import route
from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations, wait_for_map

PASSWORD = "correct horse battery staple"
EMAIL = "map.dispatcher@city.example"


@pytest.fixture
def pothole(app):
    """A committed pothole report in Crown Heights and a Brooklyn dispatcher (the live server has its own
    connections)."""
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.code == "pothole"))
        where = LatLon(40.6782, -73.9442)
        report = Report(category=category, location=to_db(where.to_point()), description="Deep hole by the bus stop",
                        address="245 Eastern Parkway", answers={"size": "large"},
                        department_id=route(category.id, where).department_id,
                        due_at=datetime.now(UTC) + timedelta(days=10))
        db.session.add(report)
        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        accounts.create_user(EMAIL, PASSWORD, Role.STAFF, brooklyn, "Dana")
        db.session.commit()
        public_id, report_id = report.public_id, report.id
    yield public_id
    with app.app_context():
        db.session.execute(delete(Report).where(Report.id == report_id))
        db.session.execute(delete(User).where(User.email == EMAIL))
        db.session.commit()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_tap_on_the_queue_map_opens_the_ticket_which_shows_the_place(open_page, pothole, viewport):
    page, _ = open_page("/login?next=/staff/queue/map", viewport)
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")  # the sign-in form's, not the header's look-up
    wait_for_map(page)
    # Coloured by the page's script from the ticket's `overdue`: due in ten days, so blue, not red.
    assert (page.get_attribute("path.leaflet-interactive", "fill"),
            page.get_attribute("path.leaflet-interactive", "stroke")) == ("#2563eb", "#1e3a8a")
    page.click("path.leaflet-interactive")
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert popup.inner_text().splitlines()[:3] == [f"#{pothole}", "Pothole", "new"]
    name = "phone" if viewport is PHONE else "desktop"
    screenshot(page, f"ticket-1-queue-map-popup-{name}")

    page.click(".leaflet-popup-content a")
    page.wait_for_selector("h1")
    assert page.url.endswith(f"/staff/reports/{pothole}")
    wait_for_map(page)  # the pin
    facts = page.inner_text(".ticket")
    assert "245 Eastern Parkway" in facts and "40.678200, -73.944200" in facts
    assert "How big is it?" in facts and "Larger than a metre" in facts
    assert page.get_attribute("text=as the public sees it", "href") == f"/reports/{pothole}"
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert serious_accessibility_violations(page) == []
    screenshot(page, f"ticket-2-where-{name}")
