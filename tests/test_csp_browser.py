"""Every page works under its Content-Security-Policy in Chromium: the maps, the report form, the staff queue.

Every browser test fails on a violation (tests/browser.py, `csp_violations`); this one walks each
page with a map and what a person does on it, and proves the check itself sees a violation.
"""

import pytest
from sqlalchemy import delete

from seeclick.accounts import services as accounts
from seeclick.extensions import db
from seeclick.models import Role, User
from tests.browser import DESKTOP, PHONE, wait_for_map, wait_until_true, watch_csp
from tests.test_staff_browser import PASSWORD, ticket  # noqa: F401  (a fixture: a committed pothole report)


@pytest.fixture
def admin(app):
    with app.app_context():
        accounts.create_user("csp.admin@city.example", PASSWORD, Role.ADMIN, None, "Ada")
        db.session.commit()
    yield "csp.admin@city.example"
    with app.app_context():
        db.session.execute(delete(User).where(User.email == "csp.admin@city.example"))
        db.session.commit()


def sign_in(page, email):
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")  # the sign-in form's, not the header's look-up


def test_the_check_sees_a_violation(browser, live_server):
    """An inline script without the nonce is refused by the page, and the refusal reaches the test."""
    violations = []
    context = browser.new_context()
    watch_csp(context, violations)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.injected = true'; document.body.append(s); }""")
    wait_until_true(page, "() => true")
    assert page.evaluate("window.injected") is None  # it never ran
    assert [v["directive"] for v in violations] == ["script-src-elem"]
    context.close()


def test_the_maps_the_report_form_and_the_staff_queue_work_under_the_policy(open_page, ticket, admin):  # noqa: F811
    page, _ = open_page("/", DESKTOP)
    wait_for_map(page)
    page.hover(".city-map path.leaflet-interactive >> nth=40")  # a tooltip names the neighbourhood
    page.wait_for_selector(".leaflet-tooltip")

    page, _ = open_page("/map?status=all", DESKTOP)
    page.wait_for_selector(".public-map .leaflet-control-zoom")
    with page.expect_response(lambda r: "/map/tiles/" in r.url and r.status == 200):  # drawn by VectorGrid
        page.click(".leaflet-control-zoom-in")

    page, _ = open_page("/reports/new", PHONE)
    page.wait_for_selector("#report-form .leaflet-control-zoom")
    page.locator("#report-form .folium-map").scroll_into_view_if_needed()  # below the address search on a phone
    box = page.locator("#report-form .folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a tap drops the pin
    page.wait_for_selector("#report-form .leaflet-marker-icon")
    wait_until_true(page, "() => document.querySelectorAll('#category option').length > 1")  # asked of /reports/place
    page.select_option("#category", index=1)

    page, _ = open_page(f"/reports/{ticket}", PHONE)
    page.wait_for_selector(".leaflet-interactive")

    page, _ = open_page("/stats", DESKTOP)
    wait_for_map(page)
    page, _ = open_page("/neighbourhoods/BK0802", PHONE)
    wait_for_map(page)

    page, _ = open_page("/login?next=/staff/queue", PHONE)
    sign_in(page, "browser.dispatcher@city.example")
    page.wait_for_selector("table.queue")
    page.goto(page.url.split("/staff")[0] + "/staff/queue/map")
    wait_for_map(page)
    page.hover(".leaflet-interactive >> nth=-1")  # the ticket's circle names it
    page.wait_for_selector(f".leaflet-tooltip >> text=#{ticket}")
    page.goto(page.url.split("/staff")[0] + f"/staff/reports/{ticket}")
    page.wait_for_selector("h1")

    page, _ = open_page("/login?next=/admin/departments/dot-bk", DESKTOP)
    sign_in(page, admin)
    wait_for_map(page)  # the department's service areas
