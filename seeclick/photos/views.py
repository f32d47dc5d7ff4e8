"""Photos over HTTP: a citizen's photo staged as soon as it is chosen, and a report's photos served."""

from flask import Blueprint, abort, jsonify, make_response, request
from flask_babel import gettext as _

from seeclick.extensions import db, limiter
from seeclick.photos import queries, services
from seeclick.photos.processing import PhotoError

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
    data = found.thumbnail if size else found.image
    response = make_response(data)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
