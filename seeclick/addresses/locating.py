"""Where a whole written address is (Open311's address_string): the city's points, then the outside geocoder."""

import math
from dataclasses import dataclass

from seeclick.addresses import geocoder, words
from seeclick.addresses.queries import Found, search
from seeclick.geo import LatLon

SAME_PLACE_METRES = 100  # results this close together are one place (an address's units, its two entrances)
NOT_SEARCHED = {"ny", "nyc", "usa"}  # what a written address adds that the address points do not hold


@dataclass(frozen=True)
class Located:
    """Where a written address is: the place, or the places it could be (none when nothing matched)."""

    found: Found | None
    candidates: list[Found]


def locate(address: str) -> Located:
    """The one place a whole written address names ("245 Eastern Pkwy, Brooklyn, NY 11238"), for a client
    that gives no point: every word must match, and all the matches must be within SAME_PLACE_METRES; or else
    the ZIP code area it names; or else what the outside geocoder finds, if there is one, by the same rule."""
    given = [word for word in words.tokens(address) if word not in NOT_SEARCHED]
    found = search(" ".join(given), typing=False, limit=5)
    if not found:  # no address point holds it all: the ZIP code it gives, if the city knows it
        zips = {word for word in given if len(word) == 5 and word.isdigit()}
        found = [place for code in sorted(zips) for place in search(f"zip {code}", typing=False, limit=1)]
    if not found:
        found = geocoder.search(address)
    if found and all(_metres(found[0].where, other.where) <= SAME_PLACE_METRES for other in found[1:]):
        return Located(found[0], found)
    return Located(None, found)


def _metres(a: LatLon, b: LatLon) -> float:
    """The distance between two nearby points, near enough (equirectangular)."""
    x = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    y = math.radians(b.lat - a.lat)
    return 6_371_000 * math.hypot(x, y)
