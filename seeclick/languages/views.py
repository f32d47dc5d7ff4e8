"""The language switcher: a plain link on every page, so it works without JavaScript."""

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from seeclick.accounts.views import safe_next
from seeclick.extensions import db
from seeclick.languages import COOKIE, COOKIE_DAYS, known

bp = Blueprint("languages", __name__)
SAME_IN_EVERY_LANGUAGE = {"static", "photos.show", "publicmap.tile"}


@bp.get("/language/<code>")
def choose(code):
    """Write every page in this language from now on, on this browser and in the reader's account."""
    if known(code) is None:
        abort(404)
    response = redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    response.set_cookie(COOKIE, code, max_age=COOKIE_DAYS * 86400, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    # Kept in the account only when chosen on our own pages: a link on another site may change this browser's
    # language (its cookie), never what an account keeps.
    ours = request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    if ours and current_user.is_authenticated and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_app_request
def vary(response):
    """A page's language follows the reader's cookie and browser: a shared cache must keep one copy for each.

    Not said of files that are the same in every language (scripts, styles, photos, tiles), which caches keep once.
    """
    if request.endpoint not in SAME_IN_EVERY_LANGUAGE:
        response.vary.update(("Accept-Language", "Cookie"))
    return response
