"""Watching: ask for a digest of a neighbourhood or of a circle around a report; confirm or stop it."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from seeclick.extensions import db, limiter
from seeclick.geo import from_db, latlon
from seeclick.neighbourhoods import queries as neighbourhoods
from seeclick.notifications import watching
from seeclick.reports import queries as reports
from seeclick.reports.forms import ConfirmForm, EmailOnlyForm
from seeclick.reports.submission import EMAIL

bp = Blueprint("watching", __name__)

SAME_ANSWER = "Check your email: if this address does not get this digest yet, we sent it a link to start it."


def _email(form):
    email = (form.email.data or "").strip()
    if not form.validate() or not EMAIL.match(email) or len(email) > 254:
        return None
    return email


@bp.post("/neighbourhoods/<code>/watch")
@limiter.limit(lambda: current_app.config["SUPPORT_LIMIT"])
def neighbourhood(code):
    place = neighbourhoods.by_code(code) or abort(404)
    email = _email(EmailOnlyForm())
    if email is None:
        flash(_("Give your email address, such as name@example.com."), "error")
    else:
        watching.watch_neighbourhood(place, email)
        db.session.commit()
        flash(_(SAME_ANSWER))  # the same whatever the address: it tells nobody who watches what
    return redirect(url_for("neighbourhoods.show", code=code) + "#watch", code=303)


@bp.post("/reports/<public_id>/watch")
@limiter.limit(lambda: current_app.config["SUPPORT_LIMIT"])
def around_report(public_id):
    report = reports.by_public_id(public_id) or abort(404)
    email = _email(EmailOnlyForm())
    radius = request.form.get("radius", "")
    if email is None or not radius.isdigit() or int(radius) not in watching.RADII:
        flash(_("Give your email address and choose how far around."), "error")
    else:
        watching.watch_circle(latlon(from_db(report.location)), int(radius), email)
        db.session.commit()
        flash(_(SAME_ANSWER))
    return redirect(url_for("reports.show", public_id=public_id) + "#watch", code=303)


@bp.route("/watch/<token>/<any(confirm, stop):action>", methods=["GET", "POST"])
def manage(token, action):
    """From an email's link: the link shows a button; the button does it (mail scanners open links)."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        watch = watching.confirm(token) if action == "confirm" else watching.stop(token)
        if watch is None:
            abort(404)
        db.session.commit()
        flash(_("Done: you will get a daily digest of new reports there.") if action == "confirm"
              else _("Done: no more digests."))
        return redirect(url_for("home.index"), code=303)
    watch = watching.by_token(token) or abort(404)
    return render_template("reports/watch.html", watch=watch, place=watching.place_name(watch), action=action,
                           form=form)
