"""The home page in the distribution's Chromium, at phone and desktop sizes."""

import re
from urllib.parse import urlparse

import pytest

from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations, wait_for_map


@pytest.mark.parametrize("viewport, name", [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_the_city_map_draws_every_neighbourhood(open_page, live_server, viewport, name):
    page, requests = open_page("/", viewport)
    wait_for_map(page)
    assert page.locator("path.leaflet-interactive").count() == 262
    # The whole city is in view: the map's bounds contain Staten Island and the north Bronx.
    in_view = page.evaluate("""() => {
        const map = Object.values(window).find(v => v && v.getBounds && v.fitBounds);
        const b = map.getBounds();
        return b.contains([40.51, -74.24]) && b.contains([40.90, -73.86]);
    }""")
    assert in_view
    screenshot(page, f"home-{name}")
    outside = {urlparse(u).netloc for u in requests} - {urlparse(live_server).netloc}
    assert outside <= {"tile.openstreetmap.org"}, outside  # only the configured tile server


def test_hovering_a_neighbourhood_names_it(open_page):
    page, _ = open_page("/", DESKTOP)
    wait_for_map(page)
    path = page.locator("path.leaflet-interactive").nth(100)
    box = path.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert re.search(r"\b(MN|BX|BK|QN|SI)\d{4}\b", tooltip.inner_text())  # a name and its NTA code


def test_the_home_page_has_no_serious_accessibility_violations(open_page):
    page, _ = open_page("/", PHONE)
    wait_for_map(page)
    assert serious_accessibility_violations(page) == []
