"""Error pages: JSON for API clients, HTML for browsers."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def wants_json():
    """API paths, and clients that prefer JSON to HTML; a browser or `Accept: */*` gets a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith(("/open311/", "/api/")) or best == "application/json"


def register(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/open311/"):  # the standard's own error body, in the format asked for
            from seeclick.open311.views import http_error as open311_error

            return open311_error(error)
        if wants_json():
            return jsonify(error=error.name, description=error.description), error.code
        return render_template("error.html", title=_(error.name), message=error.description), error.code
