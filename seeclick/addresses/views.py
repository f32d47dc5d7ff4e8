"""The address search: suggestions as JSON for the report forms' search box."""

from flask import Blueprint, jsonify, request

from seeclick.addresses import queries

bp = Blueprint("addresses", __name__)


@bp.get("/addresses/suggest")
def suggest():
    """The places whose address starts with or holds every word typed, best first (at most 8)."""
    query = request.args.get("q", "")
    found = queries.search(query) if "\x00" not in query else []
    return jsonify(query=query[:queries.QUERY_LIMIT], suggestions=[as_json(f) for f in found])


def as_json(found: queries.Found) -> dict:
    return {"id": found.id, "label": found.label, "lat": round(found.where.lat, 6), "lon": round(found.where.lon, 6),
            "approximate": found.approximate}
