"""The public map in the distribution's Chromium: counted cells zoomed out, each report from street level."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.publicmap import queries
from seeclick.reports.models import Report
from seeclick.routing import route
from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations, wait_for_map, wait_until_true

PROSPECT_HEIGHTS = LatLon(40.6775, -73.9692)


@pytest.fixture
def reports(app):
    """Twelve committed reports around one corner (the live server has its own connections)."""
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        made = []
        for i in range(12):
            where = LatLon(PROSPECT_HEIGHTS.lat + 0.0002 * (i % 4), PROSPECT_HEIGHTS.lon + 0.0003 * (i // 4))
            report = Report(category=pothole, location=to_db(where.to_point()), description=f"Hole number {i}",
                            department_id=route(pothole.id, where).department_id,
                            due_at=datetime.now(UTC) + timedelta(days=5), reporter_email="secret@example.org")
            db.session.add(report)
            made.append(report)
        db.session.flush()
        queries.fold()
        db.session.commit()
        ids = [r.id for r in made]
        public_ids = [r.public_id for r in made]
    yield public_ids
    with app.app_context():
        db.session.execute(delete(Report).where(Report.id.in_(ids)))
        db.session.flush()
        queries.fold()
        db.session.commit()


def test_zoomed_out_cells_count_and_street_level_points_open_their_report(open_page, reports):
    page, requests = open_page("/map", DESKTOP)
    wait_for_map(page)
    assert "12 open reports match." in page.locator("#map-summary").inner_text()
    cells = page.locator(".public-map path.leaflet-interactive")
    assert cells.count() >= 1
    cells.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "12 reports" in popup.inner_text() and "12 open" in popup.inner_text()
    screenshot(page, "map-desktop")
    assert any("/map/tiles/" in url and ".pbf" in url for url in requests)

    page.evaluate(f"seeclickMap.map.setView([{PROSPECT_HEIGHTS.lat + 0.0003}, {PROSPECT_HEIGHTS.lon + 0.0003}], 19,"
                  " {animate: false})")
    wait_until_true(page, "document.querySelectorAll('.public-map path.leaflet-interactive').length >= 12")
    wait_for_map(page)
    page.locator(".public-map path.leaflet-interactive").first.click()
    popup.wait_for()
    screenshot(page, "map-street-desktop")
    text = popup.inner_text()
    assert "Pothole" in text and "new" in text and "secret@example.org" not in text
    shown = text.split("#")[1].split()[0]
    assert shown in reports
    popup.get_by_role("link", name="See the report").click()
    page.wait_for_url(f"**/reports/{shown}")


def test_the_map_on_a_phone_filters_and_is_accessible(open_page, reports):
    page, _ = open_page("/map?status=all&category=pothole", PHONE)
    wait_for_map(page)
    assert page.locator("#map-category").input_value() == "pothole"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    screenshot(page, "map-phone")
    assert serious_accessibility_violations(page) == []
    page.select_option("#map-status", "closed")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/map?*status=closed*")
    assert "0 closed reports match." in page.locator("#map-summary").inner_text()
