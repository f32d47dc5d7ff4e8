"""Email addresses and phone numbers as people type them: one rule for each, used by every form."""

import re

import phonenumbers

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


# An address written inside free text (a description): looser than EMAIL, which checks one whole field.
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def contact_details_in(text: str | None, region: str = "US") -> list[str]:
    """The email addresses and phone numbers written in free text, in the order they appear, as written.

    Phone numbers are found by libphonenumber for the city's region (a date, a ZIP+4 or a house
    number is not one); `region` is the country whose numbers may be written without +.
    """
    if not text:
        return []
    found = [(m.start(), m.group(0)) for m in EMAIL_IN_TEXT.finditer(text)]
    found += [(m.start, m.raw_string) for m in phonenumbers.PhoneNumberMatcher(text, region)]
    return [written for _, written in sorted(found)]
