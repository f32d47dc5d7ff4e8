"""Addresses as words to search: one spelling for what people write many ways. Pure.

"245 Eastern Parkway", "245 EASTERN PKWY" and "245 eastern pkwy." all become "245 eastern pkwy";
"West 10th Street" becomes "w 10 st", so typing "W 10th St" finds it. The same rule is applied to the
address points when they are imported and to what a person types.
"""

import re

# USPS street suffixes and directions most written in New York, in the short form kept.
SHORT = {
    "avenue": "ave", "av": "ave", "avn": "ave", "street": "st", "str": "st", "road": "rd", "boulevard": "blvd",
    "place": "pl", "parkway": "pkwy", "pky": "pkwy", "drive": "dr", "lane": "ln", "court": "ct", "terrace": "ter",
    "highway": "hwy", "expressway": "expy", "square": "sq", "plaza": "plz", "turnpike": "tpke", "crescent": "cres",
    "east": "e", "west": "w", "north": "n", "south": "s", "saint": "st", "mount": "mt", "fort": "ft",
    "apartment": "apt", "and": "&",
}
# A number (108-15, 10th, 37a), a word, or "&".
WORD = re.compile(r"\d+(?:-\d+)*(?!\d)(?:st|nd|rd|th|[^\W\d_])?(?![^\W\d_])|\d+|[^\W\d_]+|&")
ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


def tokens(text: str | None) -> list[str]:
    """The words of an address in their one spelling: lower case, short suffixes, "10th" as "10"."""
    found = []
    for word in WORD.findall((text or "").lower().replace("'", "")):
        ordinal = ORDINAL.match(word)
        found.append(ordinal.group(1) if ordinal else SHORT.get(word, word))
    return found


def search_text(*parts: str | None) -> str:
    """What is stored to search in: the words of every part, with a space at each end so that every word,
    the first and the last too, can be matched from its start (" 245 eastern pkwy brooklyn 11238 ")."""
    words = [token for part in parts for token in tokens(part)]
    return " " + " ".join(words) + " "


def display(text: str) -> str:
    """A street as people read it: files in capitals ("EASTERN PARKWAY") in mixed case ("Eastern Parkway")."""
    text = " ".join(text.split())
    if text != text.upper():
        return text
    return " ".join(word[:1] + word[1:].lower() if not word[:1].isdigit() else word.lower()
                    for word in text.split(" "))


def patterns(query: str, typing: bool = True) -> tuple[list[str], str, str] | None:
    """LIKE patterns that every match holds (each word whole; the last one, still being typed, as a start),
    and the range of search texts that start with the whole query ([start, after) in byte order); None
    when the query has no words."""
    found = tokens(query)
    if not found:
        return None
    escaped = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in found]
    each = [f"% {w} %" for w in escaped]
    if typing:
        each[-1] = f"% {escaped[-1]}%"
    start = " " + " ".join(found) + ("" if typing else " ")
    return each, start, start[:-1] + chr(ord(start[-1]) + 1)
