"""Photos over HTTP: a citizen's photo staged as soon as it is chosen, and a report's photos served."""

import logging

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from seeclick.accounts.permissions import can_act, can_moderate
from seeclick.extensions import db, limiter
from seeclick.photos import queries, services, storage
from seeclick.photos.processing import PhotoError
from seeclick.reports import queries as reports

bp = Blueprint("photos", __name__)
log = logging.getLogger(__name__)


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
    """A report's photo (metadata already stripped), streamed from its store; staged photos are never served.

    Public photos may be cached for an hour (a photo a moderator hides gets a new address, so copies
    kept under the old one expire within the hour) and are answered 304 when the browser's copy is
    current (the ETag is the image's sha256). With signed URLs on, a public photo in the bucket is a
    redirect to a URL of the store's valid for a few minutes; a hidden one never gets one.
    """
    found = queries.of_a_report(token) or abort(404)
    report = reports.by_id(found.report_id)
    public = found.hidden_reason is None and not report.hidden
    # Taken from the public: only someone who may see it there (a moderator; staff for a hidden report's photos).
    allowed = can_moderate if found.hidden_reason else can_act
    if not public and not allowed(current_user, report):
        abort(404)
    thumbnail = size is not None
    etag = f"{found.sha256}-thumb" if thumbnail else found.sha256
    caching = "public, max-age=3600" if public else "private, no-store"
    if public and (url := storage.signed_url(found, thumbnail)):
        response = redirect(url, 302)
        response.headers["Cache-Control"] = f"private, max-age={current_app.config['PHOTO_SIGNED_URL_SECONDS'] // 2}"
        return response
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        try:
            blob = storage.content(found, thumbnail)
        except storage.Missing:
            log.error("photo %s (report %s) is missing from its store %s (key %s)", found.id, report.public_id,
                      found.store, found.key)
            abort(404)
        except storage.StoreError as error:
            log.error("photo %s could not be read: %s", found.id, error)
            abort(503)
        response = Response(blob.chunks, mimetype="image/jpeg", direct_passthrough=True)
        response.content_length = blob.size
        response.call_on_close(blob.close)
    response.set_etag(etag)
    response.headers["Cache-Control"] = caching
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
