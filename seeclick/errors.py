"""Error pages: JSON for API clients, HTML for browsers."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def wants_json():
    """API paths, and clients that prefer JSON to HTML; a browser or `Accept: */*` gets a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith(("/open311/", "/api/")) or best == "application/json"


def plain_words(error) -> str:
    """What a person can do about the errors they meet most; Werkzeug's own words for the rest."""
    from flask import current_app

    if error.code == 413:
        megabytes = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        return _("That is too large to send: keep what you send under %(mb)d MB (a photo straight from a "
                 "phone is well under that).", mb=megabytes)
    if error.code == 429:
        limit = getattr(error, "limit", None)  # a throttle with words of its own says them
        if limit is not None and limit.error_message:
            return error.description
        return _("Too many tries from here in a short time. Wait a minute, then try again.")
    return error.description


def register(app):
    from seeclick import outages

    outages.register(app)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/open311/"):  # the standard's own error body, in the format asked for
            from seeclick.open311.views import http_error as open311_error

            return open311_error(error)
        if wants_json():
            return jsonify(error=error.name, description=plain_words(error)), error.code
        return render_template("error.html", title=_(error.name), message=plain_words(error)), error.code
