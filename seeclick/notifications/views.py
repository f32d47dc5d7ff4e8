"""Mail people ask for: following a report, watching a neighbourhood or a circle, and the links that start and
stop either."""

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from seeclick.contact import email_address
from seeclick.extensions import db, limiter
from seeclick.geo import from_db, latlon
from seeclick.neighbourhoods import queries as neighbourhoods
from seeclick.notifications import queries, subscriptions, watching
from seeclick.notifications import services as following
from seeclick.notifications.models import Follower, Watch
from seeclick.reports import queries as reports
from seeclick.reports.forms import ConfirmForm, EmailOnlyForm
from seeclick.reports.views import removed, render_report

bp = Blueprint("notifications", __name__)
# The answer opens at its message (base.html), not at the form far below it: on a phone it would be off-screen.
MESSAGES = "#messages"

# The same answer whatever the address: it must not tell who reported, follows or watches what.
SAME_ANSWER = _l("Check your email: if this address does not get this digest yet, we sent it a link to start it.")


def follow_limit():
    """Follow and watch requests from one address: each may mail someone."""
    return current_app.config["FOLLOW_LIMIT"]


def _email(form):
    return email_address(form.email.data) if form.validate() else None


@bp.post("/reports/<public_id>/follow")
@limiter.limit(follow_limit)
def follow(public_id):
    """Ask for email updates on a report; the address confirms from a link first."""
    report = reports.by_public_id(public_id) or abort(404)
    if report.hidden:
        return removed(report)
    form = EmailOnlyForm()
    email = _email(form)
    if email is None:
        if not form.email.errors:
            form.email.errors = [_("Give your email address, such as name@example.com.")]
        return render_report(reports.page(public_id), follow_form=form, status=422)
    following.follow(report, email)
    db.session.commit()
    flash(_("Check your email: if this address does not get updates yet, we sent it a link to start them."))
    return redirect(url_for("reports.show", public_id=public_id) + MESSAGES, code=303)


@bp.post("/neighbourhoods/<code>/watch")
@limiter.limit(follow_limit)
def watch_neighbourhood(code):
    place = neighbourhoods.by_code(code) or abort(404)
    email = _email(EmailOnlyForm())
    if email is None:
        flash(_("Give your email address, such as name@example.com."), "error")
    else:
        watching.watch_neighbourhood(place, email)
        db.session.commit()
        flash(SAME_ANSWER)
    return redirect(url_for("neighbourhoods.show", code=code) + MESSAGES, code=303)


@bp.post("/reports/<public_id>/watch")
@limiter.limit(follow_limit)
def watch_around_report(public_id):
    report = reports.by_public_id(public_id) or abort(404)
    if report.hidden:
        return removed(report)
    email = _email(EmailOnlyForm())
    radius = request.form.get("radius", "")
    if email is None or not radius.isdigit() or int(radius) not in watching.RADII:
        flash(_("Give your email address and choose how far around."), "error")
    else:
        watching.watch_circle(latlon(from_db(report.location)), int(radius), email)
        db.session.commit()
        flash(SAME_ANSWER)
    return redirect(url_for("reports.show", public_id=public_id) + MESSAGES, code=303)


@dataclass(frozen=True)
class Kind:
    """What differs between following a report and watching a place, for the links that start and stop them."""

    model: type
    confirm: object  # token -> the subscription in effect
    template: str
    started: str
    stopped: str
    back: object  # subscription -> where to go afterwards


KINDS = {
    "follow": Kind(Follower, following.confirm, "notifications/follower.html",
                   _l("Done: you will get an email at each change."), _l("Done: no more emails about this report."),
                   lambda follower: url_for("reports.show", public_id=follower.report.public_id)),
    "watch": Kind(Watch, watching.confirm, "notifications/watch.html",
                  _l("Done: you will get a daily digest of new reports there."), _l("Done: no more digests."),
                  lambda watch: url_for("home.index")),
}


@bp.route("/<any(follow, watch):kind>/<token>/<any(confirm, stop):action>", methods=["GET", "POST"])
def subscription(kind, token, action):
    """From an email's link: the link shows a button; the button does it (mail scanners open links)."""
    chosen = KINDS[kind]
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        done = chosen.confirm(token) if action == "confirm" else subscriptions.stop(chosen.model, token)
        if done is None:
            abort(404)
        db.session.commit()
        flash(chosen.started if action == "confirm" else chosen.stopped)
        return redirect(chosen.back(done), code=303)
    found = queries.by_token(chosen.model, token) or abort(404)
    return render_template(chosen.template, subscription=found, action=action, form=form,
                           place=watching.place_name(found) if kind == "watch" else None)
