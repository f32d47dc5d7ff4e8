"""The small wrong turns of the citizen's path, in the distribution's Chromium: the chosen category when the pin
moves, the follow and watch answers on a phone, a neighbourhood's "Report a problem here" and its map's
popups, and an iPhone's HEIC photo."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select, text

from seeclick import caching
from seeclick.categories import services as categories
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.notifications.models import Notification, Watch
from seeclick.photos import storage
from seeclick.photos.models import Photo
from seeclick.reports import submission
from seeclick.reports.models import Report
from tests.browser import PHONE, screenshot, wait_for_map
from tests.conftest import CROWN_HEIGHTS
from tests.test_photos import assert_no_metadata, gps_ifd, iphone_heic
from tests.test_reports_browser import SENT, citizen, made, send, wait_for_form_map  # noqa: F401 (fixtures)

HARLEM = (40.8116, -73.9465)  # Manhattan, where DOT Brooklyn does not work


def move_pin(page, lat, lon):
    page.evaluate("([lat, lon]) => window[document.getElementById('report-form').dataset.map]"
                  ".fire('click', {latlng: L.latLng(lat, lon)})", [lat, lon])


@pytest.fixture
def brooklyn_only(app):
    """A category only DOT Brooklyn takes, with no city-wide desk: not served in Manhattan."""
    with app.app_context():
        category = categories.create_category("bike-rack")
        category.name, category.sla_hours = "Broken bike rack", 72
        category.departments = [db.session.scalar(select(Department).where(Department.code == "dot-bk"))]
        db.session.commit()
        category_id = category.id
    yield "Broken bike rack"
    with app.app_context():
        db.session.execute(delete(Category).where(Category.id == category_id))
        db.session.commit()


def test_moving_the_pin_keeps_the_category_or_says_why_it_cannot(citizen, brooklyn_only):  # noqa: F811
    page = citizen(f"/reports/new?lat={CROWN_HEIGHTS.lat}&lon={CROWN_HEIGHTS.lon}")
    wait_for_form_map(page)
    page.select_option("select[name=category]", label="Pothole")
    move_pin(page, 40.6700, -73.9500)  # elsewhere in Brooklyn: potholes are taken here too
    expect(page.locator("#place-status")).to_contain_text("Pin placed in")
    page.wait_for_timeout(300)
    assert page.eval_on_selector("select[name=category]", "s => s.selectedOptions[0].textContent") == "Pothole"
    expect(page.locator("#category-note")).to_be_hidden()

    move_pin(page, 40.95, -73.2)  # out in the Sound, outside the city: nothing is taken there
    expect(page.locator("#place-status")).to_contain_text("outside New York City")
    move_pin(page, CROWN_HEIGHTS.lat, CROWN_HEIGHTS.lon)  # and back: still a pothole
    expect(page.locator("#place-status")).to_contain_text("Crown Heights")
    assert page.eval_on_selector("select[name=category]", "s => s.selectedOptions[0].textContent") == "Pothole"

    page.select_option("select[name=category]", label=brooklyn_only)
    move_pin(page, *HARLEM)
    note = page.locator("#category-note")
    expect(note).to_have_text(f"No department takes “{brooklyn_only}” at this place, so it was taken off the form: "
                              "choose again from what can be reported here.")
    assert page.input_value("select[name=category]") == ""
    screenshot(page, "wrong-turns-category-not-here")
    page.select_option("select[name=category]", label="Pothole")
    expect(note).to_be_hidden()


def in_view(page, selector):
    return page.eval_on_selector(selector, "el => { const b = el.getBoundingClientRect();"
                                           " return b.top >= -1 && b.bottom <= innerHeight; }")


WATCHER = "ben@example.org"


@pytest.fixture
def watcher(app):
    """The watch a test starts is not a report's: remove it, its confirmation mail and that mail's job."""
    yield WATCHER
    with app.app_context():
        db.session.execute(text(
            "DELETE FROM procrastinate_jobs WHERE task_name = 'send_notification' AND "
            "(args->>'notification_id')::bigint IN (SELECT id FROM notification WHERE recipient = :email)"),
            {"email": WATCHER})
        db.session.execute(delete(Notification).where(Notification.recipient == WATCHER))
        db.session.execute(delete(Watch).where(Watch.email == WATCHER))
        db.session.commit()


def pothole_reported(app, cleanup, key, description):
    """A pothole reported in Crown Heights as the form sends it, committed (and removed after the test)."""
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        cleanup.submission_keys.append(key)
        report, _ = submission.submit(submission.Draft(category_id=pothole.id, where=CROWN_HEIGHTS,
                                                       description=description, answers={"size": ["small"]},
                                                       submission_key=key))
        db.session.commit()
        return report.public_id


def test_the_follow_and_watch_answers_are_on_a_phones_screen(app, citizen, made, watcher):  # noqa: F811
    public_id = pothole_reported(app, made, "wrong-turns-follow", "A hole by the bus stop.")
    page = citizen(f"/reports/{public_id}", PHONE)
    page.fill("#email", "ana@example.org")
    page.click("#follow button[type=submit]")
    page.wait_for_url(re.compile(r"#messages$"))
    expect(page.locator("#messages")).to_contain_text("Check your email")
    assert in_view(page, "#messages") and page.evaluate("document.activeElement.id") == "messages"
    screenshot(page, "wrong-turns-followed")

    page.fill("#watch-email", watcher)
    page.click("#watch button[type=submit]")
    page.wait_for_url(re.compile(r"#messages$"))
    assert in_view(page, "#messages") and page.evaluate("document.activeElement.id") == "messages"


def test_a_neighbourhoods_page_reports_there_and_its_map_links_each_report(app, citizen, made):  # noqa: F811
    public_id = pothole_reported(app, made, "wrong-turns-neighbourhood", "A hole by the museum.")
    with app.app_context():
        code = db.session.scalar(select(Report).where(Report.public_id == public_id)).neighbourhood.code
    caching.forget_all()  # the page keeps its open reports for 30 s: show this one now
    page = citizen(f"/neighbourhoods/{code}", PHONE)
    wait_for_map(page)
    page.locator(".stats-map path.leaflet-interactive").last.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(f"#{public_id}")
    screenshot(page, "wrong-turns-neighbourhood-popup")
    popup.get_by_role("link", name="See the report").click()
    page.wait_for_url(f"**/reports/{public_id}")

    page.go_back()
    page.click("text=Report a problem here")
    page.wait_for_url(f"**/reports/new?neighbourhood={code}")
    expect(page.locator("details.without-map")).to_have_attribute("open", "")
    assert page.input_value("select[name=neighbourhood]") == code


def test_an_iphone_heic_photo_is_added_and_kept_without_its_metadata(app, citizen, made):  # noqa: F811
    page = citizen("/reports/new", PHONE)
    wait_for_form_map(page)
    page.set_input_files("input[name=photos]", files=[{
        "name": "IMG_0010.HEIC", "mimeType": "image/heic",
        "buffer": iphone_heic(gps=gps_ifd(CROWN_HEIGHTS.lat, CROWN_HEIGHTS.lon))}])
    page.wait_for_selector("#photo-list input[name=photo_token]", state="attached")
    expect(page.locator("#photo-place")).to_be_visible()  # its GPS position is offered as the place
    page.click("#use-photo-place")
    expect(page.locator("#place-status")).to_contain_text("Crown Heights")
    page.select_option("select[name=category]", label="Pothole")
    page.get_by_label("How big is it?").select_option(label="Up to a metre across")
    public_id = send(page, made)
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        [photo] = db.session.scalars(select(Photo).where(Photo.report_id == report.id)).all()
        image = storage.read(photo)
    assert_no_metadata(image)
