"""A citizen reports a problem in the distribution's Chromium: from a phone with the pin and a photo,
without the map by keyboard alone, and what the pages look like at both sizes."""

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, func, select, text

from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import to_db
from seeclick.photos import services as photos
from seeclick.photos import storage
from seeclick.photos.models import Photo
from seeclick.reports import submission
from seeclick.reports.models import Report, Update
from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations, watch_csp
from tests.conftest import CROWN_HEIGHTS
from tests.test_photos import assert_no_metadata, gps_ifd, phone_jpeg

SENT = re.compile(r"/reports/(?P<public_id>[^/]+)/sent$")


def send(page, made, by_keyboard=False):
    """Send the form (a click, or Tab to the button and Enter), its report cleaned up after; its public id."""
    made.submission_keys.append(page.input_value("input[name=submission_key]"))
    if by_keyboard:
        tab_to(page, "#send")
        page.keyboard.press("Enter")
    else:
        page.click("#send")
    page.wait_for_url(SENT)
    return SENT.search(page.url)["public_id"]


@dataclass
class Made:
    """What a test made for real through the live server, to remove afterwards."""

    submission_keys: list[str] = field(default_factory=list)
    first_staged_photo: int = 0


@pytest.fixture
def made(app):
    """The live server commits: delete this test's reports, their log, queued mail and staged photos after it."""
    with app.app_context():
        made = Made(first_staged_photo=(db.session.scalar(select(func.max(Photo.id))) or 0) + 1)
    yield made
    with app.app_context():
        ids = db.session.scalars(select(Report.id).where(Report.submission_key.in_(made.submission_keys))).all()
        if ids:
            db.session.execute(text(
                "DELETE FROM procrastinate_jobs WHERE task_name = 'send_notification' AND "
                "(args->>'notification_id')::bigint IN (SELECT id FROM notification WHERE report_id = ANY(:ids))"),
                {"ids": ids})
            db.session.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
            db.session.execute(delete(Update).where(Update.report_id.in_(ids)))
            db.session.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
            db.session.execute(delete(Report).where(Report.id.in_(ids)))  # photos, followers, mail: cascade
        db.session.execute(delete(Photo).where(Photo.report_id.is_(None), Photo.id >= made.first_staged_photo))
        db.session.commit()


@pytest.fixture
def citizen(browser, live_server, csp_violations):
    """citizen(path, viewport, **context_options) -> page; outside requests refused, script errors and
    Content-Security-Policy violations kept (and failing the test)."""
    contexts, errors = [], []
    ours = urlparse(live_server).netloc

    def opener(path, viewport=PHONE, **options):
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        watch_csp(context, csp_violations)
        page = context.new_page()

        def handle(route):
            if urlparse(route.request.url).netloc == ours:
                route.continue_()
            else:
                route.abort()  # tiles: this machine has no internet

        def console(message):
            # A refused tile is logged as a failed resource; anything else from our pages is a defect.
            if message.type == "error" and urlparse(message.location.get("url", "")).netloc in ("", ours):
                errors.append(message.text)

        page.route("**/*", handle)
        page.on("console", console)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live_server + path, wait_until="load")
        return page

    yield opener
    for context in contexts:
        context.close()
    assert errors == [], "the pages' scripts failed or logged errors"


def wait_for_form_map(page):
    page.wait_for_selector("#report-form .leaflet-control-zoom")
    page.wait_for_timeout(300)


def fits_the_screen(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def tab_to(page, selector, limit=60):
    """Press Tab until the element matching selector has the focus, as someone without a mouse does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert page.locator(selector).is_visible(), f"{selector} has the focus but cannot be seen"
            return
    raise AssertionError(f"Tab never reached {selector}")


def chosen_text(page, selector):
    return page.eval_on_selector(selector, "s => s.selectedOptions[0].textContent")


def test_a_citizen_reports_a_pothole_from_a_phone_with_the_pin_and_a_photo(app, citizen, made):
    page = citizen("/reports/new", PHONE, permissions=["geolocation"],
                   geolocation={"latitude": CROWN_HEIGHTS.lat, "longitude": CROWN_HEIGHTS.lon})
    wait_for_form_map(page)
    assert fits_the_screen(page)  # nothing makes the page scroll sideways
    assert serious_accessibility_violations(page) == []

    page.click("#locate")
    expect(page.locator("#place-status")).to_contain_text("Pin placed in Crown Heights")
    page.wait_for_selector("select[name=category] optgroup", state="attached")  # refilled from /reports/place
    assert page.locator(".leaflet-marker-icon").count() == 1
    screenshot(page, "report-1-located")

    page.select_option("select[name=category]", label="Pothole")
    size = page.get_by_label("How big is it?")
    expect(size).to_be_visible()
    size.select_option(label="Up to a metre across")
    page.fill("#description", "Deep hole in the bus lane, cyclists swerve around it.")
    screenshot(page, "report-2-described")
    assert serious_accessibility_violations(page) == []  # the pin, the refilled list, the question shown

    page.set_input_files("input[name=photos]", files=[{
        "name": "IMG_0001.jpg", "mimeType": "image/jpeg",
        "buffer": phone_jpeg(gps=gps_ifd(CROWN_HEIGHTS.lat, CROWN_HEIGHTS.lon))}])
    page.wait_for_selector("#photo-list input[name=photo_token]", state="attached")
    expect(page.locator("#photo-place")).to_be_hidden()  # the pin is placed already: nothing to offer
    page.fill("#email", "ana@example.org")
    screenshot(page, "report-3-photo")

    public_id = send(page, made)

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        assert report.department.code == "dot-bk" and report.category.code == "pothole"
        assert report.answers == {"size": "medium"} and not report.location_approximate
        metres = db.session.scalar(select(func.ST_DistanceSphere(Report.location, to_db(CROWN_HEIGHTS.to_point())))
                                   .where(Report.id == report.id))
        assert metres < 20
        [photo] = db.session.scalars(select(Photo).where(Photo.report_id == report.id)).all()
        assert_no_metadata(storage.read(photo))  # no GPS, no camera make: not a byte of EXIF kept
        department = report.department.name

    assert page.inner_text(".tracking") == f"#{public_id}"
    assert department in page.inner_text(".receipt")
    assert "We sent a receipt to your email" in page.inner_text("main")
    screenshot(page, "report-4-sent")
    assert serious_accessibility_violations(page) == []

    page.click("text=See the report and its timeline")
    page.wait_for_url(re.compile(rf"/reports/{public_id}$"))
    page.wait_for_selector(".report-place-map .leaflet-interactive")
    assert "Up to a metre across" in page.inner_text(".answers")
    expect(page.locator(".photos img")).to_have_count(1)
    assert fits_the_screen(page)
    assert page.eval_on_selector(".photos img", "img => img.complete && img.naturalWidth") > 0
    screenshot(page, "report-5-public")
    assert serious_accessibility_violations(page) == []


def test_without_the_map_a_citizen_reports_by_keyboard_alone(app, citizen, made):
    page = citizen("/reports/new", PHONE)
    wait_for_form_map(page)

    tab_to(page, "details.without-map summary")
    page.keyboard.press("Enter")
    tab_to(page, "select[name=neighbourhood]")
    page.keyboard.type("Crown Heights")  # a closed list jumps to the option its first letters name
    neighbourhood = chosen_text(page, "select[name=neighbourhood]")
    assert neighbourhood.startswith("Crown Heights")
    tab_to(page, "input[name=address]")
    page.keyboard.type("245 Eastern Parkway")
    tab_to(page, "select[name=category]")
    page.keyboard.type("Pothole")
    assert chosen_text(page, "select[name=category]") == "Pothole"
    tab_to(page, "select[name=answer-size]")  # the question appears, and Tab goes there next
    page.keyboard.type("Larger")
    assert chosen_text(page, "select[name=answer-size]") == "Larger than a metre"
    tab_to(page, "#description")
    page.keyboard.type("The hole takes up half the lane outside the museum.")
    screenshot(page, "report-keyboard-1-filled")
    assert serious_accessibility_violations(page) == []  # the neighbourhood list open

    public_id = send(page, made, by_keyboard=True)
    screenshot(page, "report-keyboard-2-sent")

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        assert report.location_approximate and report.address == "245 Eastern Parkway"
        assert neighbourhood.startswith(report.neighbourhood.name)
        assert report.department.code == "dot-bk" and report.answers == {"size": "large"}


@pytest.fixture
def committed_report(app, made):
    """A pothole with a photo, sent through the service and committed, for the live server to show."""
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        photo, _ = photos.stage(phone_jpeg(gps=gps_ifd(CROWN_HEIGHTS.lat, CROWN_HEIGHTS.lon)), "IMG_0002.jpg")
        made.submission_keys.append("browser-desktop")
        report, _ = submission.submit(submission.Draft(
            category_id=pothole.id, where=CROWN_HEIGHTS, address="Nostrand Ave and Union St",
            description="Two holes side by side in the right lane.", answers={"size": ["small"]},
            photo_tokens=[photo.token], submission_key="browser-desktop"))
        db.session.commit()
        return report.public_id, db.session.scalar(select(Department.name).where(Department.code == "dot-bk"))


def test_the_form_and_a_report_page_on_a_desktop_screen(citizen, committed_report):
    public_id, department = committed_report
    page = citizen("/reports/new", DESKTOP)
    wait_for_form_map(page)
    page.click("#report-form .folium-map")  # a tap in the middle of the map drops the pin at its centre
    expect(page.locator("#place-status")).to_contain_text("Pin placed in")
    pin = page.evaluate("() => [document.querySelector('input[name=lat]').value,"
                        " document.querySelector('input[name=lon]').value].map(Number)")
    centre = page.evaluate("() => { const c = window[document.getElementById('report-form').dataset.map].getCenter();"
                           " return [c.lat, c.lng]; }")
    assert pin == pytest.approx(centre, abs=0.001)
    screenshot(page, "report-desktop-form")

    page = citizen(f"/reports/{public_id}", DESKTOP)
    page.wait_for_selector(".report-place-map .leaflet-interactive")
    assert department in page.inner_text(".facts-list")
    screenshot(page, "report-desktop-public")
