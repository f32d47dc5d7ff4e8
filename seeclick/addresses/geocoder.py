"""An outside geocoder for what the city's own address points do not hold, named by a setting; off by default.

`GEOCODER` is "nominatim" or "pelias" and `GEOCODER_URL` its search API (Nominatim's `/search`,
Pelias's `/v1/search`). It is asked only on an explicit search (the form's Find, Enter in the box,
Open311's address_string when the city's points find nothing), never for each key typed: public
Nominatim servers forbid autocompletion, and a suggestion must not wait on someone else's server.
The search is bounded to the city's extent; an answer that is slow, refused or malformed counts as
nothing found, so the city's own search goes on without it.
"""

import logging
import math

import requests
from flask import current_app

from seeclick.addresses.models import Kind
from seeclick.addresses.queries import Found
from seeclick.areas.queries import city_extent
from seeclick.caching import Kept
from seeclick.geo import LatLon, OutsideWorld

log = logging.getLogger(__name__)
_extent: Kept[tuple | None] = Kept("the city's extent for the geocoder", seconds=3600)


KINDS = ("nominatim", "pelias")


def enabled() -> bool:
    return current_app.config.get("GEOCODER") in KINDS and bool(current_app.config.get("GEOCODER_URL"))


def search(query: str, limit: int = 5) -> list[Found]:
    """What the outside geocoder finds for the query inside the city, best first; [] when it is off or fails."""
    if not enabled() or not query.strip():
        return []
    kind = current_app.config["GEOCODER"]
    extent = _extent.get("city", city_extent)
    try:
        with requests.Session() as http:  # closed whatever happens, a timeout included
            response = http.get(current_app.config["GEOCODER_URL"], params=_params(kind, query, limit, extent),
                                headers={"User-Agent": "seeclick (311 address search)", "Accept": "application/json"},
                                timeout=current_app.config["GEOCODER_TIMEOUT"])
            response.raise_for_status()
            found = _read(kind, response.json())
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        log.warning("geocoder %s did not answer %r: %s", kind, query[:100], error)
        return []
    return found[:limit]


def _params(kind: str, query: str, limit: int, extent) -> dict:
    if kind == "pelias":
        params = {"text": query, "size": limit}
        if extent:
            params.update({"boundary.rect.min_lon": extent[0], "boundary.rect.min_lat": extent[1],
                           "boundary.rect.max_lon": extent[2], "boundary.rect.max_lat": extent[3]})
        return params
    params = {"q": query, "format": "jsonv2", "limit": limit, "addressdetails": 0}
    if extent:  # Nominatim's viewbox is <x1>,<y1>,<x2>,<y2>: two corners
        params.update(viewbox=f"{extent[0]},{extent[3]},{extent[2]},{extent[1]}", bounded=1)
    return params


def _read(kind: str, answer) -> list[Found]:
    """Nominatim's jsonv2 list of places, or Pelias's GeoJSON FeatureCollection, as places found."""
    if kind == "pelias":
        places = [(f["properties"].get("label") or f["properties"].get("name"), f["geometry"]["coordinates"][1],
                   f["geometry"]["coordinates"][0]) for f in answer["features"]]
    else:
        places = [(place.get("display_name"), place["lat"], place["lon"]) for place in answer]
    found = []
    for label, lat, lon in places:
        try:
            where = LatLon(lat, lon)
        except OutsideWorld:
            continue
        if isinstance(label, str) and label.strip() and math.isfinite(where.lat):
            found.append(Found(0, Kind.ADDRESS, " ".join(label.split())[:200], "", "", where))
    return found
