"""A citizen reports with no connection, in the distribution's Chromium: the form and its photo are kept on
the phone by the service worker and sent, once, when the connection returns.

The connection is cut twice over: Playwright's offline mode (the phone says it is offline, and neither the
page's requests nor the worker's leave it) and the server itself stopped, so that nothing a test does could
reach it while "offline" whatever the browser routes. One test keeps the phone "online" with the server
away: the connection that fails on the way, the commonest one on a bus.
"""

import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from seeclick.extensions import db
from seeclick.photos import storage
from seeclick.photos.models import Photo
from seeclick.reports.models import Report
from tests.browser import PHONE, screenshot, static_read_at_once, wait_until_true, watch_csp
from tests.test_photos import assert_no_metadata, phone_jpeg
from tests.test_reports_browser import made  # noqa: F401 (the fixture that removes what a test made)

SAVED = "Saved on this phone; it will be sent when you are online."


class Server:
    """The app on a port of its own, stopped and started again on the same port (the phone's origin)."""

    def __init__(self, app):
        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self):
        self.server = make_server("127.0.0.1", self.port, static_read_at_once(self.app), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
        self.server = None


@pytest.fixture
def server(app):
    server = Server(app)
    server.start()
    yield server
    if server.server is not None:
        server.stop()


@pytest.fixture
def phone(browser, server, csp_violations):
    """A phone's browser (its own storage: service worker, IndexedDB) on the cuttable server; phone.tab() opens
    a page. Outside requests (tiles) are refused; script errors and CSP violations fail the test."""
    context = browser.new_context(viewport=PHONE)
    watch_csp(context, csp_violations)
    ours = urlparse(server.url).netloc
    errors = []
    # context.route also sees the service worker's own requests (Chromium), so tiles stay refused from it too.
    context.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).netloc == ours
                  else route.abort())

    def tab(path="/reports/new"):
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + path, wait_until="load")
        return page

    context.tab = tab
    yield context
    context.close()
    assert errors == [], "the pages' scripts failed"


def ready_offline(page):
    """Wait until the worker says it keeps the form and every file it needs."""
    wait_until_true(page, "() => document.documentElement.dataset.offline === 'ready'")


def cut(phone, server):
    phone.set_offline(True)
    server.stop()


def restore(phone, server):
    server.start()
    phone.set_offline(False)  # the page hears "online" and sends what it kept


def fill_in(page, description="Deep hole in the bus lane, outside the library.", email=""):
    """The report without the map (no tiles offline): neighbourhood, address, category, its question, a photo."""
    page.click("details.without-map summary")
    page.select_option("select[name=neighbourhood]", label="Crown Heights (North) (Brooklyn)")
    page.fill("input[name=address]", "245 Eastern Parkway")
    page.select_option("select[name=category]", label="Pothole")
    page.get_by_label("How big is it?").select_option(label="Up to a metre across")
    page.fill("#description", description)
    page.set_input_files("input[name=photos]", files=[{
        "name": "IMG_0004.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg()}])
    if email:
        page.fill("#email", email)


@dataclass(frozen=True)
class Made:
    public_id: str
    address: str
    description: str
    answers: dict
    reporter_email: str | None
    photos: list[bytes]


def reports_made(app, key) -> list[Made]:
    """The reports in the database made with this form's key, each with its photos."""
    with app.app_context():
        found = [Made(r.public_id, r.address, r.description, r.answers, r.reporter_email,
                      [storage.read(p) for p in db.session.scalars(select(Photo).where(Photo.report_id == r.id))])
                 for r in db.session.scalars(select(Report).where(Report.submission_key == key))]
        db.session.rollback()
        return found


def drafts_on_phone(page):
    return page.evaluate("() => seeclickDrafts.all().then(all => all.length)")


def test_a_report_made_offline_with_a_photo_is_kept_then_sent_once(app, phone, server, made):  # noqa: F811
    page = phone.tab()
    ready_offline(page)
    cut(phone, server)
    assert page.evaluate("navigator.onLine") is False

    fill_in(page)
    expect(page.locator("#photo-list li.kept")).to_contain_text("Kept on this phone")
    key = page.input_value("input[name=submission_key]")
    made.submission_keys.append(key)
    page.click("#send")
    expect(page.locator("#drafts")).to_contain_text(SAVED)
    expect(page.locator("#drafts")).to_contain_text("Pothole, 1 photo")
    assert page.input_value("input[name=submission_key]") != key  # the next report is one of its own
    assert page.input_value("#description") == ""
    screenshot(page, "offline-1-saved")
    assert reports_made(app, key) == []

    restore(phone, server)
    second = phone.tab()  # a second tab open on the form when the connection returns: both try to send
    expect(page.locator("#drafts")).to_contain_text("Your report saved on this phone was sent", timeout=15_000)
    public_id = page.locator("#drafts .tracking").inner_text().lstrip("#")
    expect(page.locator("#drafts a")).to_have_attribute("href", f"/reports/{public_id}")
    screenshot(page, "offline-2-sent")

    [report] = reports_made(app, key)
    assert report.public_id == public_id
    [photo] = report.photos
    assert_no_metadata(photo)
    assert report.address == "245 Eastern Parkway" and report.answers == {"size": "medium"}
    wait_until_true(second, "() => seeclickDrafts.all().then(all => all.length === 0)")

    page.click("#drafts a")
    expect(page.locator("h1")).to_contain_text("Pothole")
    expect(page.locator(".photos img")).to_have_count(1)


def test_the_form_opens_offline_and_a_report_made_after_a_reload_is_sent(app, phone, server, made):  # noqa: F811
    page = phone.tab()
    ready_offline(page)
    cut(phone, server)
    page.reload(wait_until="load")  # the worker's copy: the page, its scripts, styles and Leaflet
    expect(page.locator("h1")).to_have_text("Report a problem")
    assert page.evaluate("() => typeof L === 'object' && typeof seeclickDrafts === 'object'")
    assert page.evaluate("() => getComputedStyle(document.querySelector('.send')).borderRadius") == "6px"

    fill_in(page, description="Water pooling in the pothole by the bus stop.")
    key = page.input_value("input[name=submission_key]")
    made.submission_keys.append(key)
    page.click("#send")
    expect(page.locator("#drafts")).to_contain_text(SAVED)
    page.reload(wait_until="load")  # still offline, still kept
    expect(page.locator("#drafts")).to_contain_text(SAVED)
    assert page.input_value("input[name=submission_key]") != key

    restore(phone, server)
    expect(page.locator("#drafts")).to_contain_text("was sent", timeout=15_000)
    [report] = reports_made(app, key)
    assert len(report.photos) == 1 and report.description == "Water pooling in the pothole by the bus stop."


def test_a_draft_the_server_refuses_is_shown_with_what_to_fix(app, phone, server, made):  # noqa: F811
    page = phone.tab()
    ready_offline(page)
    cut(phone, server)
    fill_in(page, email="ana@example")  # the phone cannot tell; the server can
    key = page.input_value("input[name=submission_key]")
    made.submission_keys.append(key)
    page.click("#send")
    expect(page.locator("#drafts")).to_contain_text(SAVED)

    restore(phone, server)
    drafts = page.locator("#drafts")
    expect(drafts).to_contain_text("was not sent, because something needs changing", timeout=15_000)
    expect(drafts).to_contain_text("This does not look like an email address")
    screenshot(page, "offline-3-to-fix")
    assert reports_made(app, key) == []
    assert drafts_on_phone(page) == 1  # it never vanishes

    page.click("text=Open it in the form to fix it")
    assert page.input_value("#email") == "ana@example"
    assert page.input_value("#description") == "Deep hole in the bus lane, outside the library."
    assert page.input_value("input[name=submission_key]") == key
    page.wait_for_selector("#photo-list input[name=photo_token]", state="attached")  # the kept photo, sent now
    page.fill("#email", "ana@example.org")
    page.click("#send")
    page.wait_for_url("**/sent")
    [report] = reports_made(app, key)
    assert report.reporter_email == "ana@example.org" and len(report.photos) == 1
    page.goto(server.url + "/reports/new")
    assert drafts_on_phone(page) == 0


def test_a_report_whose_connection_fails_on_the_way_is_kept_by_the_worker(app, phone, server, made):  # noqa: F811
    page = phone.tab()
    ready_offline(page)
    fill_in(page, description="Hole at the crossing, the phone thought it was online.")
    page.wait_for_selector("#photo-list input[name=photo_token]", state="attached")  # sent while it could be
    key = page.input_value("input[name=submission_key]")
    made.submission_keys.append(key)
    server.stop()  # the phone still says it is online: the form goes the ordinary way, and never arrives
    assert page.evaluate("navigator.onLine") is True
    page.click("#send")
    page.wait_for_url("**/reports/new?saved=*")
    expect(page.locator("#drafts")).to_contain_text(SAVED)

    server.start()
    # The phone notices the connection is back (the worker's background sync may be first: either way, this
    # page is told).
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#drafts")).to_contain_text("was sent", timeout=15_000)
    [report] = reports_made(app, key)
    assert len(report.photos) == 1
