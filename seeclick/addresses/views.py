"""The address search: suggestions as JSON for the report forms' search box."""

from flask import Blueprint, jsonify, request

from seeclick.addresses import choosing, queries

bp = Blueprint("addresses", __name__)


@bp.get("/addresses/suggest")
def suggest():
    """The places whose address starts with or holds every word typed, best first (at most 8); with find=1 (the
    person asked: Enter, the Find button) and none found, the outside geocoder's, if the city has one."""
    query = request.args.get("q", "")
    if "\x00" in query:
        found = []
    elif request.args.get("find") == "1":
        found = choosing.found(query[:queries.QUERY_LIMIT])
    else:
        found = queries.search(query)
    return jsonify(query=query[:queries.QUERY_LIMIT], suggestions=[as_json(f) for f in found])


def as_json(found: queries.Found) -> dict:
    return {"id": found.id or None, "label": found.label, "lat": round(found.where.lat, 6),
            "lon": round(found.where.lon, 6), "approximate": found.approximate}
