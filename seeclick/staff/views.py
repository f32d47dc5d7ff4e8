"""Staff pages: the department's queue and the ticket. Load, check access, act, commit once."""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from seeclick import maps
from seeclick.accounts.models import Role
from seeclick.accounts.permissions import NotAllowed, can_act, staff_required
from seeclick.accounts.views import safe_next
from seeclick.delivery import queries as delivery_queries
from seeclick.delivery import services as delivery
from seeclick.delivery.models import SendState
from seeclick.departments import queries as departments_query
from seeclick.extensions import db
from seeclick.forms import choices
from seeclick.geo import from_db, latlon
from seeclick.moderation.views import panel as moderation_panel
from seeclick.photos import services as photos
from seeclick.photos.processing import PhotoError
from seeclick.questionnaires import queries as questionnaires
from seeclick.questionnaires.forms import DecideForm
from seeclick.reports import answers as answer_rules
from seeclick.reports import queries as report_queries
from seeclick.reports import services
from seeclick.reports.lifecycle import Action, IllegalTransition, allowed_actions
from seeclick.reports.models import Status
from seeclick.staff import queries
from seeclick.staff.forms import ActionForm, BulkAcknowledgeForm, QueueFilterForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
def load_ticket(public_id):
    report = queries.report_by_public_id(public_id)
    if report is None:
        abort(404)
    if not can_act(current_user, report):
        abort(403, _("This report belongs to another department."))
    return report


@bp.get("/")
@staff_required
def index():
    return redirect(url_for(".queue"))


@bp.get("/queue")
@staff_required
def queue():
    """The department's open tickets: filter, sort, page, acknowledge in bulk."""
    form, query, department, now = read_queue_filter()
    rows, total = queries.queue_page(query, now)
    reach = queries.count_reach(query)  # a total past it says only "more than reach"
    return render_template("staff/queue.html", form=form, rows=rows, total=min(total, reach), more=total > reach,
                           query=query, now=now, department=department, page_size=queries.PAGE_SIZE,
                           bulk_form=BulkAcknowledgeForm(),
                           reopen_requests=questionnaires.pending_for_department(department.id))


@bp.get("/queue/map")
@staff_required
def queue_map():
    """The same filter on a map, in the queue's order, capped so that the page stays light."""
    form, query, department, now = read_queue_filter()
    points = queries.queue_points(query, now)
    shown = len(points["features"])
    total = queries.queue_count(query, now) if shown >= queries.MAP_LIMIT else shown
    reach = queries.count_reach(query)
    return render_template("staff/queue_map.html", form=form, department=department, total=min(total, reach),
                           more=total > reach, shown=shown, map=maps.parts(maps.tickets_map(points)))


def read_queue_filter():
    """The queue's filter from the query string; fields that make no sense carry errors and are ignored."""
    form = QueueFilterForm(request.args)
    if current_user.role is Role.ADMIN:
        departments = departments_query.by_name()
        department_id = form.department.data if form.department.data in {d.id for d in departments} else None
        department_id = department_id or (current_user.department_id or departments[0].id)
    else:  # staff see their own department's queue only, and are offered no other
        departments = [current_user.department]
        department_id = current_user.department_id
    form.department.choices = choices((d.id, d.name) for d in departments)
    form.department.data = department_id
    form.status.choices = choices([("", _("Any open status"))] + [
        (s.value, s.label) for s in (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS)])
    form.category.choices = choices(
        [(0, _("Any category"))] + [(c.id, c.name) for c in queries.categories_for(department_id)])
    form.neighbourhood.choices = choices(
        [(0, _("Any neighbourhood"))] + queries.neighbourhood_choices())
    form.validate()
    ok = lambda name: not getattr(form, name).errors  # noqa: E731  (a field with errors is not applied)
    now = datetime.now(UTC)
    query = queries.QueueFilter(
        department_id=department_id,
        # (Optional() passes a status of spaces without checking it against the choices)
        status=Status(form.status.data) if ok("status") and form.status.data in set(Status) else None,
        category_id=form.category.data if ok("category") else None,
        neighbourhood_id=form.neighbourhood.data if ok("neighbourhood") else None,
        older_than_days=form.older_than.data if ok("older_than") else None,
        overdue=bool(form.overdue.data),
        sort=form.sort.data if ok("sort") else "oldest",
        page=form.page.data if ok("page") and form.page.data else 1,
    )
    department = next(d for d in departments if d.id == department_id)
    return form, query, department, now


@bp.post("/queue/acknowledge")
@staff_required
def bulk_acknowledge():
    """Acknowledge the chosen new tickets of the department in one go."""
    form = BulkAcknowledgeForm()
    back = safe_next(request.form.get("back")) or url_for(".queue")
    if not form.validate_on_submit():
        abort(400)
    department_id = request.form.get("department", type=int) or current_user.department_id
    chosen = request.form.getlist("report")[:500]
    done = 0
    try:
        for report in queries.reports_by_public_ids(chosen, department_id):
            if report.status is Status.NEW:
                services.acknowledge(report, current_user)
                done += 1
    except (NotAllowed, services.StaleReport) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    skipped = len(chosen) - done
    flash(ngettext("Acknowledged %(num)d report.", "Acknowledged %(num)d reports.", done)
          + (" " + ngettext("%(num)d was not new and was left as it was.",
                            "%(num)d were not new and were left as they were.", skipped) if skipped else ""))
    return redirect(back)


@bp.get("/reports/<public_id>")
@staff_required
def ticket(public_id):
    report = load_ticket(public_id)
    return render_ticket(report, ActionForm(version=report.version))


def render_ticket(report, form, failed_action=None, status=200):
    form.department.choices = department_choices(report)
    return render_template(
        "staff/ticket.html", report=report, form=form, timeline=queries.timeline(report),
        after_photos=report_queries.after_photos(report),
        actions=allowed_actions(report.status), failed_action=failed_action, now=datetime.now(UTC),
        moderation=moderation_panel(report), reopen_requests=questionnaires.pending_for_report(report.id),
        decide_form=DecideForm(),
        map=maps.report_map_parts(report), where=latlon(from_db(report.location)),
        answers=answer_rules.describe(report.category.questions, report.answers or {}),
        sends=delivery_queries.sends_of(report.id),
    ), status


def department_choices(report):
    """Where the ticket can be sent, after an empty first choice: nothing is sent anywhere by default."""
    return choices([("", _("Choose a department…"))]
                   + [(d.id, d.name) for d in queries.reassignment_choices(report)])


@bp.post("/reports/<public_id>/send-again")
@staff_required
def send_again(public_id):
    """Send the report again to the city's system it has not reached (after an outage there)."""
    report = load_ticket(public_id)
    again = [send for send in delivery_queries.sends_of(report.id) if send.state is not SendState.SENT]
    for send in again:
        delivery.resend(send)
    db.session.commit()
    flash(ngettext("It will be sent again now.", "It will be sent again now, to %(num)d systems.", len(again))
          if again else _("There is nothing to send again: it has reached the city's system."))
    return redirect(url_for(".ticket", public_id=report.public_id))


@bp.post("/reports/<public_id>/<action>")
@staff_required
def act(public_id, action):
    """Apply one action to a ticket; errors come back next to the field they concern."""
    try:
        action = Action(action)
    except ValueError:
        abort(404)
    report = load_ticket(public_id)
    form = ActionForm()
    form.department.choices = department_choices(report)
    if not form.validate_on_submit():
        return render_ticket(report, form, action, 400)
    if not (form.version.data or "").isdigit():
        abort(400, _("This form does not say which version of the report it was made from; reload the page."))
    try:
        message = apply(action, report, form, int(form.version.data))
    except services.StaleReport as error:
        db.session.rollback()
        report = load_ticket(public_id)
        form.version.data = str(report.version)  # everything they chose and wrote stays; only the version moves
        flash(str(error), "error")
        return render_ticket(report, form, action, 409)
    except services.MissingNote as error:
        db.session.rollback()
        getattr(form, error.field).errors.append(str(error))
        return render_ticket(load_ticket(public_id), form, action, 422)
    except PhotoError as error:
        db.session.rollback()
        form.after_photo.errors.append(str(error))
        return render_ticket(load_ticket(public_id), form, action, 422)
    except (IllegalTransition, NotAllowed, LookupError) as error:
        db.session.rollback()
        field = "original" if action is Action.MERGE else "department" if action is Action.REASSIGN else "note"
        getattr(form, field).errors.append(str(error))
        return render_ticket(load_ticket(public_id), form, action, 422)
    db.session.commit()
    flash(message)
    if not can_act(current_user, report):  # sent to another department: it has left this person's queue
        return redirect(url_for(".queue"))
    return redirect(url_for(".ticket", public_id=report.public_id))


def apply(action, report, form, version) -> str:
    """Call the service for an action; returns the confirmation to show."""
    note = form.note.data or ""
    if action is Action.ACKNOWLEDGE:
        services.acknowledge(report, current_user, note, version)
        return _("Acknowledged. The reporter has been told.")
    if action is Action.START:
        services.start(report, current_user, note, version)
        return _("Marked as in progress.")
    if action is Action.CLOSE:
        resolution = Status(form.resolution.data) if form.resolution.data else None
        upload = request.files.get(form.after_photo.name)
        # Checked before closing: a bad photo leaves the ticket as it was, with the form as typed.
        after = photos.stage(upload.read(), upload.filename)[0] if upload and upload.filename else None
        update = services.close(report, current_user, resolution, note, form.referred_to.data or "", version)
        if after is not None:
            photos.attach([after], report, update)  # the proof, on the public timeline beside the note
        return _("Closed. The closing note is on the public timeline.")
    if action is Action.REOPEN:
        services.reopen(report, current_user, note, version)
        return _("Reopened.")
    if action is Action.REASSIGN:
        if form.department.data is None:
            raise LookupError(_("Choose the department to send it to."))
        department = next((d for d in queries.reassignment_choices(report) if d.id == form.department.data), None)
        if department is None:
            raise LookupError(_("Choose a department that handles this category."))
        services.reassign(report, current_user, department, note, version)
        if can_act(current_user, report):
            return _("Sent to %(department)s.", department=department.name)
        return _("Sent to %(department)s. It has left your queue.", department=department.name)
    if action is Action.MERGE:
        original = queries.report_by_public_id((form.original.data or "").strip().lstrip("#"))
        if original is None:
            raise LookupError(_("There is no report with that tracking number."))
        services.merge(report, original, current_user, note, version)
        return _("Merged into #%(id)s.", id=original.public_id)
    raise LookupError(action)


@bp.post("/reports/<public_id>/notes")
@staff_required
def add_note(public_id):
    report = load_ticket(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return render_ticket(report, form, "note", 400)
    try:
        services.add_note(report, current_user, form.note.data or "", public=bool(form.public.data))
    except services.MissingNote as error:
        db.session.rollback()
        form.note.errors.append(str(error))
        return render_ticket(load_ticket(public_id), form, "note", 422)
    db.session.commit()
    flash(_("Note added to the public timeline.") if form.public.data else _("Internal note added."))
    return redirect(url_for(".ticket", public_id=report.public_id))
