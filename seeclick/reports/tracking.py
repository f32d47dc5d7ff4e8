"""A tracking number as people read it out or type it: "#100234", "100 234", "no. 100234". Pure."""

import re

PREFIX = "#"  # how every page and mail writes a tracking number: #100234
SPOKEN = re.compile(r"^(?:(?:report|tracking|number|no|nr|n°)\b\.?|#)+", re.IGNORECASE)
SEPARATORS = re.compile(r"[\s\-.·]+")
LIMIT = 40  # the longest public id a report can have


def number(text: str | None) -> str:
    """The tracking number in `text`, without its prefix, spaces or dashes, as reports keep it; "" when none."""
    text = (text or "").strip()
    while True:
        shorter = SPOKEN.sub("", text).strip()
        if shorter == text:
            break
        text = shorter
    found = SEPARATORS.sub("", text)
    return found if 0 < len(found) <= LIMIT and "\x00" not in found else ""
