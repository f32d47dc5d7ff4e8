"""Photos over HTTP: a citizen's photo staged as soon as it is chosen, and a report's photos served."""

from flask import Blueprint, abort, jsonify, make_response, request
from flask_babel import gettext as _
from flask_login import current_user

from seeclick.accounts.permissions import can_act, can_moderate
from seeclick.extensions import db, limiter
from seeclick.photos import queries, services
from seeclick.photos.processing import PhotoError
from seeclick.reports import queries as reports

bp = Blueprint("photos", __name__)


@bp.post("/reports/photos")
@limiter.limit("60 per hour")
def upload():
    """Stage one photo as soon as it is chosen (the form's script); answers its token and GPS position."""
    chosen = request.files.get("photo")
    if chosen is None or not chosen.filename:
        return jsonify(error=_("Choose a photo to add.")), 400
    try:
        photo, processed = services.stage(chosen.read(), chosen.filename)
    except PhotoError as error:
        db.session.rollback()
        return jsonify(error=str(error)), 422
    db.session.commit()
    gps = processed.gps
    return jsonify(token=photo.token, width=photo.width, height=photo.height,
                   gps={"lat": gps.lat, "lon": gps.lon} if gps else None), 201


@bp.get("/photos/<token>.jpg")
@bp.get("/photos/<token>/<any(thumb):size>.jpg")
def show(token, size=None):
    """A report's photo (metadata already stripped); staged photos are never served."""
    found = queries.of_a_report(token) or abort(404)
    report = reports.by_id(found.report_id)
    public = found.hidden_reason is None and not report.hidden
    # Taken from the public: only someone who may see it there (a moderator; staff for a hidden report's photos).
    allowed = can_moderate if found.hidden_reason else can_act
    if not public and not allowed(current_user, report):
        abort(404)
    data = found.thumbnail if size else found.image
    response = make_response(data)
    response.headers["Content-Type"] = "image/jpeg"
    # A photo a moderator hides gets a new address, and copies kept under the old one expire within the hour.
    response.headers["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
