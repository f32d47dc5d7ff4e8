"""The address search box in the distribution's Chromium: suggestions as you type, chosen by keyboard alone."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from seeclick.addresses.models import Address
from seeclick.extensions import db
from seeclick.reports.models import Report
from tests.browser import DESKTOP, PHONE, screenshot, serious_accessibility_violations
from tests.test_reports_browser import SENT, citizen, made, send, tab_to, wait_for_form_map  # noqa: F401  (fixtures)


def test_a_citizen_finds_the_place_by_typing_and_chooses_it_by_keyboard(app, citizen, made):  # noqa: F811
    page = citizen("/reports/new", PHONE)
    wait_for_form_map(page)
    box = page.locator("#address-query")
    options = page.locator("#address-options [role=option]")

    tab_to(page, "#address-query")
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.type("crown h")
    expect(options).to_have_count(2)
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#address-status")).to_have_text(
        "2 places found; use the up and down arrows to choose one, then press Enter.")
    assert options.all_inner_texts() == ["Crown Heights (North), Brooklyn (neighbourhood)",
                                         "Crown Heights (South), Brooklyn (neighbourhood)"]

    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "address-option-0")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "address-option-1")
    page.keyboard.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(options.nth(1)).to_have_attribute("aria-selected", "false")
    screenshot(page, "address-1-suggestions")
    assert serious_accessibility_violations(page) == []  # with the list open

    page.keyboard.press("Escape")  # closes the list, keeps what was typed
    expect(page.locator("#address-options")).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    assert box.input_value() == "crown h"
    page.keyboard.press("ArrowDown")  # opens it again on the first
    expect(box).to_have_attribute("aria-activedescendant", "address-option-0")
    page.keyboard.press("Enter")  # chooses; the report is not sent
    expect(box).to_have_value("Crown Heights (North), Brooklyn (neighbourhood)")
    expect(page.locator("#address-status")).to_contain_text("Pin placed at Crown Heights (North), Brooklyn")
    expect(page.locator("#place-status")).to_contain_text("Pin placed in Crown Heights (North)")
    assert "/sent" not in page.url
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    with app.app_context():
        point = db.session.execute(select(func.ST_Y(Address.point), func.ST_X(Address.point))
                                   .where(Address.kind == "neighbourhood", Address.label.like("Crown Heights (North)%"))
                                   ).one()
    assert (float(page.input_value("input[name=lat]")), float(page.input_value("input[name=lon]"))) == \
        (round(point[0], 6), round(point[1], 6))
    page.wait_for_selector("select[name=category] optgroup", state="attached")  # what is served there
    screenshot(page, "address-2-chosen")

    tab_to(page, "input[name=address]")
    page.keyboard.type("Outside 1000 Eastern Parkway")
    tab_to(page, "select[name=category]")
    page.keyboard.type("Pothole")
    tab_to(page, "select[name=answer-size]")
    page.keyboard.type("Larger")
    tab_to(page, "#description")
    page.keyboard.type("Half the lane is gone.")
    public_id = send(page, made, by_keyboard=True)
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        assert report.neighbourhood.name == "Crown Heights (North)" and report.department.code == "dot-bk"
        assert report.location_approximate  # a neighbourhood's point, not the spot: the crew is told
        assert report.address == "Outside 1000 Eastern Parkway"


def test_a_zip_code_is_found_on_a_desktop_and_an_unknown_address_is_said_plainly(citizen):  # noqa: F811
    page = citizen("/reports/new", DESKTOP)
    wait_for_form_map(page)
    page.fill("#address-query", "")
    page.locator("#address-query").press_sequentially("1123")
    options = page.locator("#address-options [role=option]")
    expect(options.first).to_have_text(re.compile(r"^ZIP code 1123\d, Brooklyn$"))
    page.locator("#address-query").press_sequentially("8")
    expect(options).to_have_text(["ZIP code 11238, Brooklyn"])
    options.first.click()
    expect(page.locator("#place-status")).to_contain_text("Pin placed in")
    assert page.input_value("input[name=approximate]") == "1"
    screenshot(page, "address-3-zip-desktop")

    page.fill("#address-query", "")
    page.locator("#address-query").press_sequentially("Nowhere Lane")
    expect(page.locator("#address-status")).to_contain_text("No address found.")
    expect(page.locator("#address-options")).to_be_hidden()
