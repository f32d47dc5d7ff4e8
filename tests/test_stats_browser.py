"""The dashboard and a neighbourhood page in the distribution's Chromium: drawn, readable, accessible."""

import pytest

from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations, wait_for_map


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_the_dashboard_draws_its_map_and_chart(open_page, viewport, name):
    page, requests = open_page("/stats", viewport)
    wait_for_map(page)
    assert page.locator("path.leaflet-interactive").count() >= 250  # every neighbourhood shaded
    assert page.get_by_role("heading", name="How fast the city answers").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    screenshot(page, f"stats-{name}")
    assert serious_accessibility_violations(page) == []


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_neighbourhood_page_outlines_it_beside_the_city(open_page, viewport, name):
    page, _ = open_page("/neighbourhoods/BK0802", viewport)
    wait_for_map(page)
    assert page.get_by_role("heading", name="Crown Heights (North)").is_visible()
    assert page.get_by_role("heading", name="Does the city answer as fast here?").is_visible()
    screenshot(page, f"neighbourhood-{name}")
    assert serious_accessibility_violations(page) == []


@pytest.fixture
def a_week_of_reports(app):
    """Forty potholes of one week, closed in two days, committed and folded (the live server reads them)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import delete, select

    from seeclick.categories.models import Category
    from seeclick.extensions import db
    from seeclick.geo import LatLon, to_db
    from seeclick.reports.models import Report, Status
    from seeclick.routing import route
    from seeclick.stats import services

    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        where = LatLon(40.6782, -73.9442)
        earlier = datetime.now(UTC) - timedelta(days=10)
        monday = (earlier - timedelta(days=earlier.weekday())).replace(hour=1, minute=0, second=0, microsecond=0)
        department = route(pothole.id, where).department_id
        made = [Report(category=pothole, location=to_db(where.to_point()), department_id=department,
                       created_at=monday + timedelta(minutes=i), due_at=monday + timedelta(days=3),
                       status=Status.FIXED, closed_at=monday + timedelta(days=2, minutes=i),
                       submission_key=f"chart-{i}") for i in range(40)]
        db.session.add_all(made)
        services.fold()
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(delete(Report).where(Report.submission_key.like("chart-%")))
        services.fold()
        db.session.commit()


def test_the_charts_words_are_at_least_12_pixels_high_on_a_phone(open_page, a_week_of_reports):
    page, _ = open_page("/stats", PHONE)
    page.wait_for_selector("svg.chart text")
    smallest = page.evaluate("""() => {
        const svg = document.querySelector("svg.chart");
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return Math.min(...[...svg.querySelectorAll("text")].map(t => parseFloat(t.getAttribute("font-size")) * scale));
    }""")
    assert smallest >= 12, smallest
