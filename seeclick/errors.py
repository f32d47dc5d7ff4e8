"""Error pages: JSON for API clients, HTML for browsers."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

# Werkzeug's names and descriptions of the errors a person meets, in the reader's language; a view
# that aborts with words of its own (abort(400, _("..."))) keeps them.
TITLES = {400: _l("Bad Request"), 401: _l("Unauthorized"), 403: _l("Forbidden"), 404: _l("Not Found"),
          405: _l("Method Not Allowed"), 409: _l("Conflict"), 410: _l("Gone"), 413: _l("Request Entity Too Large"),
          415: _l("Unsupported Media Type"), 422: _l("Unprocessable Entity"), 429: _l("Too Many Requests"),
          500: _l("Internal Server Error"), 503: _l("Service Unavailable")}
DESCRIPTIONS = {
    400: _l("The page could not understand what was sent. Go back, check the form and send it again."),
    401: _l("Sign in to see this page."),
    403: _l("You may not see or do this."),
    404: _l("There is no page at this address. Check the address, or start again from the home page."),
    405: _l("This page cannot be used that way."),
    410: _l("This is no longer here."),
    415: _l("That kind of file is not taken here."),
    500: _l("Something went wrong on our side. Please try again in a minute."),
    503: _l("The service is unavailable for a moment. Please try again in a minute."),
}


def title(error) -> str:
    return str(TITLES.get(error.code, error.name))


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
    if error.description == type(error).description and error.code in DESCRIPTIONS:  # Werkzeug's own words
        return str(DESCRIPTIONS[error.code])
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
        return render_template("error.html", title=title(error), message=plain_words(error)), error.code
