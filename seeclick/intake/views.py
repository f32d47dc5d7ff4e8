"""Call-taker intake: staff enter a report for someone on the phone. Load, check access, act, commit once.

The report goes through the same submission as the citizen's form and Open311 (checked, routed,
answered and mailed alike), with channel `phone` and no browser of its own: the call taker's browser
is not the caller's, so it names no one to a ban and no throttle counts the calls.
"""

from dataclasses import replace

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from seeclick.accounts.permissions import staff_required
from seeclick.addresses import choosing
from seeclick.extensions import csrf, db
from seeclick.intake.forms import IntakeForm
from seeclick.photos import services as photos
from seeclick.reports import queries, submission
from seeclick.reports.models import Channel
from seeclick.reports.submission import Invalid
from seeclick.reports.views import draft_from, render_form, stage_uploads, tokens

bp = Blueprint("intake", __name__, url_prefix="/staff/intake")


@bp.route("/", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so an expired page is shown again with nothing lost
@staff_required
def new():
    """The report form for a caller: place by address search or map, category and questions, their contact."""
    form = IntakeForm()
    errors: dict[str, str] = {}
    try:
        where = submission.parse_where(form.lat.data, form.lon.data)
    except Invalid as invalid:
        where = None
        errors.update(invalid.errors)
    staged = []
    address_search = choosing.from_form(request.form) if form.is_submitted() else choosing.AddressSearch()
    if form.is_submitted():
        if not form.validate():
            errors["form"] = _("This page had expired, so nothing was sent. Check what you typed and send again.")
        else:
            uploaded, _places, upload_errors = stage_uploads(form)
            errors.update(upload_errors)
            if address_search.chosen:
                choosing.place_on(form, address_search.chosen)
                where = address_search.chosen.where
            if request.form.get("step") == "send" and not errors:
                draft = replace(draft_from(form, where, uploaded, ""), channel=Channel.PHONE, browser_key=None)
                try:
                    report, _created = submission.submit(draft)
                    public_id = report.public_id  # read before the commit expires it
                    db.session.commit()
                    return redirect(url_for("intake.done", public_id=public_id), code=303)
                except Invalid as invalid:
                    db.session.rollback()
                    errors.update(invalid.errors)
            staged = photos.staged(tokens(form, uploaded), skip_expired=True)
    page, status = render_form(form, where, errors, staged, address_search=address_search,
                               template="intake/new.html")
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/<public_id>")
@staff_required
def done(public_id):
    """What to read out to the caller: the tracking number, where it went and what to expect."""
    report = queries.by_public_id(public_id) or abort(404)
    return render_template("intake/done.html", report=report, expectation=submission.expectation(report),
                           spoken=" ".join(report.public_id))
