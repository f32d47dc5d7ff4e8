"""The address box's own steps on a report form posted without script: search, then use the place chosen."""

from dataclasses import dataclass

from seeclick.addresses import queries

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
        search.results = queries.search(search.query, limit=queries.SUGGESTIONS) if search.query.strip() else []
    elif step == USE:
        choice = values.get("address_choice") or ""
        search.chosen = queries.by_id(int(choice)) if choice.isdigit() and len(choice) < 19 else None
        if search.chosen is None:
            search.results = queries.search(search.query) if search.query.strip() else []
    return search


def place_on(form, chosen: queries.Found) -> None:
    """Put the chosen place into the report form's place fields: the pin, and the address when it is one."""
    form.lat.data, form.lon.data = f"{chosen.where.lat:.6f}", f"{chosen.where.lon:.6f}"
    form.approximate.data = "1" if chosen.approximate else ""
    if not chosen.approximate and not (form.address.data or "").strip():
        form.address.data = chosen.label
