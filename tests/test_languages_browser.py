"""The language switcher in the distribution's Chromium, on a phone: one tap, and every page after it."""

from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations


def test_on_a_phone_one_tap_on_the_switcher_turns_every_page_spanish(open_page):
    page, _ = open_page("/reports/new", PHONE)
    assert page.locator("h1").inner_text() == "Report a problem"
    switcher = page.get_by_role("navigation", name="Language")
    spanish = switcher.get_by_role("link", name="Español")
    box = spanish.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # on the screen, not off its edge
    assert box["height"] >= 24  # big enough to tap (WCAG 2.2's minimum target)
    spanish.click()
    page.wait_for_url("**/reports/new")  # back on the page it was chosen from
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == "Reportar un problema"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    screenshot(page, "languages-report-form-es-phone")
    page.get_by_role("link", name="Tiempos de respuesta").click()
    page.wait_for_url("**/stats")
    assert page.locator("h1").inner_text() == "Qué tan rápido responde la ciudad y si lo resolvió"
    assert page.get_by_role("navigation", name="Idioma").get_by_role("link", name="Español").get_attribute(
        "aria-current") == "true"
    assert serious_accessibility_violations(page) == []


def test_the_chinese_report_form_reads_whole_at_desktop_width(open_page):
    page, _ = open_page("/reports/new", DESKTOP)
    page.get_by_role("link", name="中文（简体）").click()
    page.wait_for_url("**/reports/new")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "报告问题"
    screenshot(page, "languages-report-form-zh-desktop")
