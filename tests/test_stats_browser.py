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
