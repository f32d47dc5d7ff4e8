"""What a ban is matched on, from what people type: pure functions, the same for a ban and a submission."""

import re

from seeclick.contact import email_address, phone_number

PHONE_DIGITS_MINIMUM = 7  # fewer digits name no one phone


def email_value(text: str | None) -> str | None:
    """An email address in lower case (matching ignores case), or None when it is not one."""
    address = email_address(text)
    return address.lower() if address else None


def phone_value(text: str | None) -> str | None:
    """A phone number's digits alone (matching ignores spaces, dashes, dots, brackets and +), or None."""
    number = phone_number(text)
    digits = re.sub(r"\D", "", number or "")
    return digits if len(digits) >= PHONE_DIGITS_MINIMUM else None
