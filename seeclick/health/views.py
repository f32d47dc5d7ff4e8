"""Liveness for load balancers and monitoring."""

from flask import Blueprint, current_app, jsonify

from seeclick.health.queries import postgis_version

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the database and PostGIS answer."""
    try:
        version = postgis_version()
    except Exception:  # any failure to reach the database is the answer itself
        # The details (host, port, user) go to the log, not to whoever asks.
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="error", database="unreachable", reason="cannot reach the database"), 503
    return jsonify(status="ok", database="ok", postgis=version)
