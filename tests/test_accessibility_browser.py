"""WCAG 2.1 AA on the public pages, in the distribution's Chromium: axe-core finds nothing serious, every page
with a map can be pinch-zoomed, and the citizen's path (home, form, answer, report) works at 320 px wide and
with text at twice its size."""

import pytest
from sqlalchemy import select

from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.photos import services as photos
from seeclick.reports import submission
from tests.browser import DESKTOP, PHONE, accessibility_violations, screenshot
from tests.conftest import CROWN_HEIGHTS
from tests.test_photos import phone_jpeg
from tests.test_reports_browser import made  # noqa: F401 (the fixture that removes what a test made)

NARROW = {"width": 320, "height": 640}


@pytest.fixture
def sent_report(app, made):  # noqa: F811
    """A pothole with a photo, committed for the live server to show."""
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        photo, _ = photos.stage(phone_jpeg(), "IMG_0005.jpg")
        made.submission_keys.append("accessibility")
        report, _ = submission.submit(submission.Draft(
            category_id=pothole.id, where=CROWN_HEIGHTS, address="Nostrand Ave and Union St",
            description="A hole across the crossing, wheelchairs cannot pass.", answers={"size": ["small"]},
            photo_tokens=[photo.token], submission_key="accessibility"))
        db.session.commit()
        return report.public_id


def public_pages(public_id):
    return ["/", "/reports/new", f"/reports/{public_id}/sent", f"/reports/{public_id}", "/map", "/stats",
            "/stats/methodology", "/neighbourhoods/BK0802", "/accessibility", "/my-data", "/login"]


def test_axe_finds_nothing_serious_on_the_public_pages(open_page, sent_report):
    found = {}
    for path in public_pages(sent_report):
        for viewport in (PHONE, DESKTOP):
            page, _ = open_page(path, viewport)
            page.wait_for_timeout(200)  # the maps draw their layers
            if violations := accessibility_violations(page):
                found[(path, viewport["width"])] = violations
            page.context.close()
    assert found == {}


def test_every_page_with_a_map_can_be_pinch_zoomed(open_page, sent_report):
    for path in ["/", "/reports/new", f"/reports/{sent_report}", "/map", "/stats", "/neighbourhoods/BK0802"]:
        page, _ = open_page(path)
        assert page.locator(".leaflet-container").count() == 1, path
        viewports = page.eval_on_selector_all("meta[name=viewport]", "tags => tags.map(t => t.content)")
        assert viewports == ["width=device-width, initial-scale=1"], path  # nothing stops the zoom
        page.context.close()


# Every control a person can reach: focused in turn, it must be on the screen (not off its side) and the
# thing a tap at its centre would hit (not covered by anything).
CONTROLS_REACHABLE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex="0"]';
  const problems = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || !el.checkVisibility({visibilityProperty: true})) continue;  // hidden, or in a closed <details>
    el.focus();
    el.scrollIntoView({block: 'center', inline: 'nearest'});
    const box = el.getBoundingClientRect();
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
      (el.textContent || el.value || el.name || '').trim().slice(0, 30) + '"';
    if (box.width < 1 || box.height < 1) { problems.push(name + ' has no size'); continue; }
    if (box.left < -1 || box.right > innerWidth + 1) {
      problems.push(name + ' is off the side of the screen');
      continue;
    }
    const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(box.top + Math.min(box.height, 40) / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    const labelled = el.labels && [...el.labels].some(l => l.contains(hit));
    if (!hit || !(el === hit || el.contains(hit) || hit.contains(el) || labelled))
      problems.push(name + ' is covered by ' + (hit ? hit.tagName.toLowerCase() + '.' + hit.className : 'nothing'));
  }
  return problems;
}"""

FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
# What sticks out past the screen's right edge (outside a map, whose tiles are clipped), to say why.
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.leaflet-container') && e.getBoundingClientRect().right > innerWidth + 1)
  .map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.mark.parametrize("text_size", ["100%", "200%"])
def test_the_citizens_path_works_at_320_pixels_and_with_text_twice_as_large(open_page, sent_report, text_size):
    for path in ["/", "/reports/new", f"/reports/{sent_report}/sent", f"/reports/{sent_report}",
                 "/accessibility"]:
        page, _ = open_page(path, NARROW)
        # Text zoom as a browser's font-size setting does it: every size given in rem or em grows with it.
        page.evaluate("size => { document.documentElement.style.fontSize = size; }", text_size)
        page.wait_for_timeout(200)
        if path == "/reports/new":
            page.click("details.without-map summary")
            page.select_option("select[name=category]", label="Pothole")  # its question shown too
        name = path.strip("/").replace("/", "-") or "home"
        screenshot(page, f"narrow-{text_size.rstrip('%')}-{name}")
        assert page.evaluate(FITS), f"{path} scrolls sideways at {text_size}: {page.evaluate(STICKING_OUT)}"
        assert page.evaluate(CONTROLS_REACHABLE) == [], path
        page.context.close()


def test_every_page_links_to_the_accessibility_statement(open_page, sent_report):
    for path in ["/", "/reports/new", f"/reports/{sent_report}", "/map", "/stats"]:
        page, _ = open_page(path)
        page.click("footer >> text=Accessibility")
        page.wait_for_url("**/accessibility")
        assert "Report a barrier" in page.inner_text("main")
        assert page.get_attribute("main a[href^='mailto:']", "href") == "mailto:accessibility@seeclick.example"
        page.context.close()
