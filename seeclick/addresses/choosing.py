"""The address box's own steps on a report form posted without script: search, then use the place chosen."""

from dataclasses import dataclass

from seeclick.addresses import geocoder, queries
from seeclick.addresses.models import Kind
from seeclick.geo import LatLon, OutsideWorld

FIND = "find-address"
USE = "use-address"


@dataclass
class AddressSearch:
    query: str = ""
    results: list[queries.Found] | None = None  # None: no search was asked for
    chosen: queries.Found | None = None


def from_form(values) -> AddressSearch:
    """What the form asked the address box: a search (its results), or the place chosen among them."""
    search = AddressSearch(query=(values.get("address_query") or "")[:queries.QUERY_LIMIT].replace("\x00", ""))
    step = values.get("step")
    if step == FIND:
        search.results = found(search.query)
    elif step == USE:
        search.chosen = chosen(values.get("address_choice") or "")
        if search.chosen is None:
            search.results = found(search.query)
    return search


def found(query: str) -> list[queries.Found]:
    """What an explicit search finds: the city's own places, or else the outside geocoder's, if there is one."""
    if not query.strip():
        return []
    return queries.search(query) or geocoder.search(query, limit=queries.SUGGESTIONS)


def chosen(value: str) -> queries.Found | None:
    """The place a radio button of the results named (queries.Found.choice)."""
    if value.isdigit() and len(value) < 19:
        return queries.by_id(int(value))
    if value.startswith("at:") and value.count(":") >= 2:
        point, label = value[3:].split(":", 1)
        try:
            lat, lon = point.split(",")
            return queries.Found(0, Kind.ADDRESS, " ".join(label.split())[:200], "", "", LatLon(lat, lon))
        except (ValueError, OutsideWorld):
            return None
    return None


def place_on(form, chosen: queries.Found) -> None:
    """Put the chosen place into the report form's place fields: the pin, and the address when it is one."""
    form.lat.data, form.lon.data = f"{chosen.where.lat:.6f}", f"{chosen.where.lon:.6f}"
    form.approximate.data = "1" if chosen.approximate else ""
    if not chosen.approximate and not (form.address.data or "").strip():
        form.address.data = chosen.label
