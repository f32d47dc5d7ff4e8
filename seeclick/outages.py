"""The database unreachable: answer 503 with Retry-After and plain words, never a 500.

While PostgreSQL restarts, fails over or is overloaded, every request that needs it fails with a
connection error. A citizen is told that nothing was lost and to try again (the report form hands
back what was typed, to send again: its key makes a second send one report), an Open311 client
gets the standard's error list with 503, a JSON client JSON. Nothing here may touch the database:
the signed-in person is not loaded again, so the page shows no account. The next request after the
database returns succeeds: the pool tests each connection before use (pool_pre_ping).
"""

import logging

import psycopg2
from flask import g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy import exc

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10

# What PostgreSQL being away looks like: refused or dropped connections, a server starting up or
# shutting down, a pool with no free connection, a statement cancelled by its timeout.
OUTAGES = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, exc.DisconnectionError,
           psycopg2.OperationalError, psycopg2.InterfaceError)

# Fields of the report form handed back to send again; the CSRF token stays valid with the session.
NOT_HANDED_BACK = ("photos",)


def is_outage(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OUTAGES)


def register(app):
    for kind in OUTAGES:
        app.register_error_handler(kind, unavailable)
    app.register_error_handler(exc.DBAPIError, database_error)
    # Runs before Flask-SQLAlchemy's own teardown (registered earlier, so called later).
    app.teardown_appcontext(release_session)


def release_session(error=None):
    """End the request's session; if the database went away meanwhile, drop its connection instead.

    Rolling back over a connection PostgreSQL closed raises, and raised in a teardown it would turn
    an answer already made (a page, or the 503 itself) into a bare 500.
    """
    from seeclick.extensions import db

    try:
        db.session.remove()
    except OUTAGES:
        db.session().invalidate()  # closes the session; its connections leave the pool instead of returning
        db.session.remove()


def database_error(error):
    """A dropped connection surfaces as any DBAPIError; anything else is a bug, answered as one."""
    if is_outage(error):
        return unavailable(error)
    raise error


def unavailable(error):
    log.warning("database unreachable (%s: %s), answered 503", type(error).__name__, str(error).splitlines()[0]
                if str(error) else "")
    from seeclick.extensions import db

    try:
        db.session.rollback()
    except OUTAGES:  # the connection is gone already: dropped at teardown (release_session)
        pass
    g._login_user = AnonymousUserMixin()  # Flask-Login would query the database for the user again
    g.retry_after = RETRY_AFTER_SECONDS  # kept over the throttles' own Retry-After (seeclick.security)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    message = _("The service is briefly unavailable: we could not reach our database, so nothing was changed. "
                "Try again in a minute.")
    if request.path.startswith("/open311/"):
        from seeclick.open311.views import failure

        response = failure(503, _("The service is briefly unavailable (its database cannot be reached); nothing "
                                  "was stored by this request. Retry it, with the same Idempotency-Key, after "
                                  "Retry-After."))
        response.headers.update(headers)
        return response
    from seeclick.errors import wants_json

    if wants_json():
        return jsonify(error="Service Unavailable", description=message), 503, headers
    kept = []
    if request.method == "POST" and request.endpoint == "reports.new":
        kept = [(name, value) for name, value in request.form.items(multi=True) if name not in NOT_HANDED_BACK]
    photos_lost = any(f.filename for f in request.files.getlist("photos")) if request.files else False
    return render_template("unavailable.html", kept=kept, photos_lost=photos_lost,
                           fields=dict(request.form) if kept else {},
                           action=request.path if kept else None), 503, headers
