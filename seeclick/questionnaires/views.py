"""Closing the loop over HTTP: the answer a "was it fixed?" link carries, a reporter's request to reopen, and
staff's decision on it."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from seeclick.accounts.permissions import NotAllowed, staff_required
from seeclick.extensions import db, limiter
from seeclick.notifications import queries as notifications
from seeclick.notifications.models import Follower
from seeclick.photos import services as photos
from seeclick.photos.processing import PhotoError
from seeclick.questionnaires import queries, services
from seeclick.questionnaires.forms import AnswerForm, DecideForm, NoteForm, ReopenForm
from seeclick.questionnaires.models import Source
from seeclick.questionnaires.services import Refused

bp = Blueprint("questionnaires", __name__)


def answer_limit():
    return current_app.config["SUPPORT_LIMIT"]


@bp.route("/fixed/<token>/<any(yes, no):answer>", methods=["GET", "POST"])
@limiter.limit(answer_limit, methods=["POST"])
def answer(token, answer):
    """The link in the mail: its page records the answer as it opens (a scanner that only fetches it records
    nothing), and offers to add a note."""
    questionnaire = queries.by_token(token) or abort(404)
    if questionnaire.answered_at is not None:
        return redirect(url_for(".thanks", token=token), code=303)
    form = AnswerForm()
    if request.method == "POST" and form.validate():
        try:
            services.answer(questionnaire, answer == "yes")
        except Refused as refused:
            db.session.rollback()
            return render_template("questionnaires/expired.html", message=str(refused)), 410
        db.session.commit()
        return redirect(url_for(".thanks", token=token), code=303)
    return render_template("questionnaires/answer.html", questionnaire=questionnaire, answer=answer, form=form)


@bp.route("/fixed/<token>", methods=["GET", "POST"])
@limiter.limit(answer_limit, methods=["POST"])
def thanks(token):
    """After the answer: what was recorded, and a note to add."""
    questionnaire = queries.by_token(token) or abort(404)
    if questionnaire.answered_at is None:
        abort(404)
    form = NoteForm()
    if request.method == "POST" and form.validate():
        try:
            services.add_note(questionnaire, form.note.data)
        except Refused as refused:
            db.session.rollback()
            form.note.errors = [str(refused)]
            return render_template("questionnaires/thanks.html", questionnaire=questionnaire, form=form), 422
        db.session.commit()
        flash(_("Thank you: your words are on the report's timeline."))
        return redirect(url_for("reports.show", public_id=questionnaire.report.public_id), code=303)
    return render_template("questionnaires/thanks.html", questionnaire=questionnaire, form=form)


def _reporter(token: str) -> Follower:
    """The reporter's own subscription, from the link in their mail; a follower's link is not enough."""
    follower = notifications.by_token(Follower, token)
    if follower is None or not services.is_reporter(follower.report, follower.email):
        abort(404)
    return follower


@bp.route("/follow/<token>/reopen", methods=["GET", "POST"])
@limiter.limit(answer_limit, methods=["POST"])
def reopen(token):
    """From the reporter's mail: ask for their closed report to be reopened, with a note and a photo."""
    report = _reporter(token).report
    form = ReopenForm()
    if report.is_open:
        return render_template("questionnaires/reopen.html", report=report, form=form, still_open=True)
    if request.method == "POST" and form.validate():
        upload = request.files.get(form.photo.name)
        try:
            if not (form.note.data or "").strip():
                raise Refused(_("Say what is still wrong, so the department knows what to look at."))
            photo = photos.stage(upload.read(), upload.filename)[0] if upload and upload.filename else None
            services.request_reopen(report, Source.REPORTER, form.note.data, photo=photo)
        except (Refused, PhotoError) as error:
            db.session.rollback()
            (form.photo if isinstance(error, PhotoError) else form.note).errors = [str(error)]
            return render_template("questionnaires/reopen.html", report=report, form=form), 422
        db.session.commit()
        flash(_("We have your request; it is on the report's timeline, and the department will answer there."))
        return redirect(url_for("reports.show", public_id=report.public_id), code=303)
    return render_template("questionnaires/reopen.html", report=report, form=form)


@bp.post("/staff/reopen-requests/<int:request_id>/<any(accept, decline):decision>")
@staff_required
def decide(request_id, decision):
    """Accept a request to reopen (the report reopens) or decline it with a public reason."""
    chosen = queries.request(request_id) or abort(404)
    form = DecideForm()
    if not form.validate():
        abort(400)
    back = url_for("staff.ticket", public_id=chosen.report.public_id) + "#reopen-requests"
    try:
        services.decide(chosen, current_user, decision == "accept", form.reason.data or "")
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except Refused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(back, code=303)
    db.session.commit()
    flash(_("Reopened: it is back in the queue.") if decision == "accept" else
          _("Declined; the reason is on the public timeline."))
    return redirect(back, code=303)
