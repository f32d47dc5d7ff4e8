"""Moderation over HTTP: citizens flag a report, a reporter asks for theirs to be taken down, and moderators
take things back from the public (and give them back) from the ticket and the moderation queue."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from seeclick.accounts.models import Role
from seeclick.accounts.permissions import NotAllowed, can_moderate, moderates_anything, staff_required
from seeclick.contact import contact_details_in
from seeclick.extensions import db, limiter
from seeclick.moderation import queries, services
from seeclick.moderation.forms import ActForm, BulkForm, FlagForm, QueueForm, TakedownForm
from seeclick.moderation.models import Reason, Resolution
from seeclick.moderation.services import ModerationError
from seeclick.notifications import queries as notifications
from seeclick.notifications.models import Follower
from seeclick.photos import queries as photos
from seeclick.reports import queries as reports
from seeclick.reports.views import browser_token
from seeclick.staff import queries as staff

bp = Blueprint("moderation", __name__)

# The acts a ticket's moderation panel posts: what each calls.
ON_REPORT = {
    "hide": lambda report, form: services.hide_report(report, current_user, _reason(form), form.note.data),
    "show": lambda report, form: services.show_report(report, current_user, form.note.data),
    "redact-description": lambda report, form: services.redact(report, current_user, "description",
                                                               form.remove.data, _reason(form), form.note.data),
    "redact-address": lambda report, form: services.redact(report, current_user, "address", form.remove.data,
                                                           _reason(form), form.note.data),
    "restore-description": lambda report, form: services.restore(report, current_user, "description",
                                                                 form.note.data),
    "restore-address": lambda report, form: services.restore(report, current_user, "address", form.note.data),
}
TAKES_DOWN = {"hide", "redact-description", "redact-address"}


def flag_limit():
    return current_app.config["FLAG_LIMIT"]


def _reason(form) -> Reason | None:
    try:
        return Reason(form.reason.data)
    except ValueError:
        return None


def _flagger() -> str:
    """Who flags: this browser when it has the site's cookie, else the address it came from."""
    return browser_token() or f"address:{request.remote_addr}"


@bp.post("/reports/<public_id>/flag")
@limiter.limit(flag_limit)
def flag(public_id):
    """"Report a problem with this report": into the moderators' queue."""
    report = reports.by_public_id(public_id)
    if report is None or report.hidden:
        abort(404)
    form = FlagForm()
    if not form.validate() or _reason(form) is None:
        flash(_("Choose what is wrong with this report, then send."), "error")
        return redirect(url_for("reports.show", public_id=public_id) + "#flag", code=303)
    try:
        services.flag(report, _reason(form), form.note.data or "", _flagger())
    except ModerationError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("reports.show", public_id=public_id) + "#flag", code=303)
    db.session.commit()
    # The same answer when this person had flagged it already: nothing to tell them apart by.
    flash(_("Thank you: a moderator will look at it. What you wrote is seen only by moderators."))
    return redirect(url_for("reports.show", public_id=public_id) + "#flag", code=303)


def _reporter(token: str) -> Follower:
    """The reporter's own subscription, from the link in their receipt; anyone else's link is not enough."""
    follower = notifications.by_token(Follower, token)
    report = follower.report if follower else None
    if report is None or not report.reporter_email or report.reporter_email.lower() != follower.email.lower():
        abort(404)
    return follower


@bp.route("/follow/<token>/takedown", methods=["GET", "POST"])
@limiter.limit(flag_limit, methods=["POST"])
def takedown(token):
    """From the reporter's receipt: ask for their own report to be taken down (the link shows a button)."""
    follower = _reporter(token)
    report = follower.report
    form = TakedownForm()
    if request.method == "POST" and form.validate():
        try:
            services.flag(report, Reason.REPORTER_REQUEST, form.note.data or "", f"follower:{follower.id}",
                          from_reporter=True)
        except ModerationError as error:
            db.session.rollback()
            form.note.errors = [str(error)]
            return render_template("moderation/takedown.html", report=report, form=form), 422
        db.session.commit()
        flash(_("We have your request. A moderator will take the report down, usually within a working day."))
        return redirect(url_for("reports.show", public_id=report.public_id), code=303)
    return render_template("moderation/takedown.html", report=report, form=form)


def _load(public_id):
    report = staff.report_by_public_id(public_id) or abort(404)
    if not can_moderate(current_user, report):
        abort(403, _("Only a moderator of this department can take things back from the public."))
    return report


def _back(report):
    return redirect(url_for("staff.ticket", public_id=report.public_id) + "#moderation", code=303)


def _done(report, act: str):
    if act in TAKES_DOWN:
        services.resolve_flags(report, current_user, Resolution.UPHELD)
    db.session.commit()


@bp.post("/staff/reports/<public_id>/moderation/<act>")
@staff_required
def on_report(public_id, act):
    """One act on a report: hide or show it, redact or restore its description or address, dismiss its flags."""
    if act not in ON_REPORT and act != "dismiss-flags":
        abort(404)
    report = _load(public_id)
    form = ActForm()
    if not form.validate():
        abort(400)
    try:
        if act == "dismiss-flags":
            count = services.resolve_flags(report, current_user, Resolution.DISMISSED)
            db.session.commit()
            flash(ngettext("Dismissed %(num)d flag.", "Dismissed %(num)d flags.", count))
            return _back(report)
        ON_REPORT[act](report, form)
    except (ModerationError, NotAllowed) as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(report)
    _done(report, act)
    flash(_("Done. The public sees the change now; every act is in the moderation history."))
    return _back(report)


@bp.post("/staff/photos/<int:photo_id>/<any(hide, show):act>")
@staff_required
def on_photo(photo_id, act):
    photo = photos.by_id(photo_id) or abort(404)
    report = _load(reports.public_id_of(photo.report_id) or abort(404))
    form = ActForm()
    if not form.validate():
        abort(400)
    try:
        if act == "hide":
            services.hide_photo(photo, current_user, _reason(form), form.note.data)
        else:
            services.show_photo(photo, current_user, form.note.data)
    except (ModerationError, NotAllowed) as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(report)
    _done(report, "hide" if act == "hide" else "show")
    flash(_("Photo hidden from the public.") if act == "hide" else _("Photo shown again."))
    return _back(report)


@bp.post("/staff/notes/<int:update_id>/<any(hide, show):act>")
@staff_required
def on_note(update_id, act):
    note = reports.update(update_id) or abort(404)
    report = _load(note.report.public_id)
    form = ActForm()
    if not form.validate():
        abort(400)
    try:
        if act == "hide":
            services.hide_note(note, current_user, _reason(form), form.note.data)
        else:
            services.show_note(note, current_user, form.note.data)
    except (ModerationError, NotAllowed) as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(report)
    _done(report, "hide" if act == "hide" else "show")
    flash(_("Note taken off the public timeline.") if act == "hide" else _("Note shown again."))
    return _back(report)


def _departments():
    """Whose reports this person moderates: None for every department (administrators)."""
    return None if current_user.role is Role.ADMIN else [current_user.department_id]


@bp.get("/staff/moderation")
@staff_required
def queue():
    """Reports flagged by citizens and reports waiting for review, the longest-waiting first."""
    if not moderates_anything(current_user):
        abort(403, _("Only moderators see the moderation queue."))
    form = QueueForm(request.args)
    form.validate()
    reason = Reason(form.reason.data) if form.reason.data in {r.value for r in Reason} else None
    page = request.args.get("page", "1")
    chosen = queries.QueueFilter(department_ids=_departments(), reason=reason, waiting=form.waiting.data != "no",
                                 page=int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1)
    rows, total = queries.queue(chosen)
    return render_template("moderation/queue.html", form=form, rows=rows, total=total, chosen=chosen,
                           bulk=BulkForm(), page_size=queries.PAGE_SIZE)


@bp.post("/staff/moderation/bulk")
@staff_required
def bulk():
    """Dismiss the flags of, publish, or hide the chosen reports in one go: each is checked and recorded alone."""
    if not moderates_anything(current_user):
        abort(403, _("Only moderators see the moderation queue."))
    form = BulkForm()
    action = request.form.get("action", "")
    if not form.validate() or action not in ("dismiss", "publish", "hide"):
        abort(400)
    chosen = queries.reports_by_public_ids(request.form.getlist("report")[:200])
    done = 0
    try:
        for report in chosen:
            if action == "dismiss":
                services.resolve_flags(report, current_user, Resolution.DISMISSED)
            elif action == "publish":
                if report.hidden_reason is not Reason.AWAITING_REVIEW:
                    continue
                services.show_report(report, current_user)
            else:
                services.hide_report(report, current_user, _reason(form))
                services.resolve_flags(report, current_user, Resolution.UPHELD)
            done += 1
    except (ModerationError, NotAllowed) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".queue"), code=303)
    db.session.commit()
    flash(ngettext("Done for %(num)d report.", "Done for %(num)d reports.", done))
    return redirect(url_for(".queue"), code=303)


@bp.app_context_processor
def moderation_link():
    """Whether the header shows the moderation queue."""
    return {"moderates": current_user.is_authenticated and moderates_anything(current_user)}


def panel(report) -> dict | None:
    """What a ticket's moderation panel shows, for someone who may moderate it; None for anyone else."""
    if not can_moderate(current_user, report):
        return None
    region = current_app.config["PHONE_REGION"]
    timeline = staff.timeline(report)
    notes = [event for event in timeline if event.public and event.body]
    return {
        "flags": queries.open_flags(report.id),
        "history": queries.history(report.id),
        "originals": {field: queries.text_before_redactions(report.id, field) for field in ("description", "address")},
        "hidden_notes": queries.hidden_updates([event.id for event in notes]),
        "notes": notes,
        "photos": photos.of_report(report.id),
        "suggestions": {"description": contact_details_in(report.description, region),
                        "address": contact_details_in(report.address, region)},
        "form": ActForm(),
    }
