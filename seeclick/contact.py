"""Email addresses and phone numbers as people type them: one rule for each, used by every form."""

import re

# One plain address: no commas, quotes, angle brackets or spaces that could name a second recipient.
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
EMAIL_LIMIT = 254
PHONE = re.compile(r"^\+?[0-9 ().\-]{7,25}$")


def email_address(text: str | None) -> str | None:
    """The address typed, trimmed, when it is one plain email address; otherwise None."""
    text = (text or "").strip()
    return text if len(text) <= EMAIL_LIMIT and EMAIL.match(text) else None


def phone_number(text: str | None) -> str | None:
    """The number typed, trimmed, when it looks like a phone number; otherwise None."""
    text = (text or "").strip()
    return text if PHONE.match(text) else None
