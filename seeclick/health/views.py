"""Liveness for load balancers and monitoring."""

from flask import Blueprint, jsonify

from seeclick.health.queries import postgis_version

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the database and PostGIS answer."""
    try:
        version = postgis_version()
    except Exception as error:  # any failure to reach the database is the answer itself
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return jsonify(status="error", database="unreachable", reason=reason), 503
    return jsonify(status="ok", database="ok", postgis=version)
