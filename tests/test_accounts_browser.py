"""The sign-in page in the distribution's Chromium."""

from tests.browser import PHONE, screenshot, serious_accessibility_violations


def test_a_failed_sign_in_is_explained_next_to_the_field_and_accessible(open_page):
    page, _ = open_page("/login", PHONE)
    page.fill("#email", "someone@city.example")
    page.fill("#password", "not the password")
    page.click("main button[type=submit]")  # the sign-in form's, not the header's look-up
    error = page.locator("#password-errors")
    assert "do not match an account" in error.inner_text()
    assert page.get_attribute("#password", "aria-describedby") == "password-errors"
    assert page.input_value("#email") == "someone@city.example"
    screenshot(page, "login-failed-phone")
    assert serious_accessibility_violations(page) == []
