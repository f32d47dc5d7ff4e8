"""Changes to a report's life: each writes one immutable Update. Flush, never commit.

Acknowledged and closed times are taken from the events written here, never typed in. Every
function takes the version of the report the person was looking at; if someone else changed it
since, the change is refused (StaleReport) rather than silently overwriting theirs.
"""

from datetime import UTC, datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import literal, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.exc import StaleDataError

from seeclick.accounts.permissions import require_can_act
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.notifications import services as notify
from seeclick.reports.lifecycle import Action, IllegalTransition, Transition, transition
from seeclick.reports.models import Report, Status, Support, Update, UpdateKind
from seeclick.words import number

NOTE_LIMIT = 4000


class StaleReport(RuntimeError):
    """Someone else changed the report after this person loaded it."""


class MissingNote(ValueError):
    """Something the person must write is missing or too long; `field` says which."""

    def __init__(self, message, field="note"):
        super().__init__(message)
        self.field = field


def acknowledge(report: Report, actor, note: str = "", expected_version: int | None = None) -> Update:
    """Tell the reporter that the department has seen it."""
    return _change(report, actor, Action.ACKNOWLEDGE, note, expected_version)


def start(report: Report, actor, note: str = "", expected_version: int | None = None) -> Update:
    return _change(report, actor, Action.START, note, expected_version)


def close(report: Report, actor, resolution: Status, note: str, referred_to: str = "",
          expected_version: int | None = None) -> Update:
    """Close with a resolution and a public note; "not ours" must say who it was passed to."""
    note = _required(note, _l("Write a closing note for the public: what was done, or why not."))
    if resolution is Status.NOT_OURS:
        referred_to = _required(referred_to, _l("Say who it was passed to: “not ours” always says who."),
                                field="referred_to")
        note = gettext("Passed to %(department)s.", department=referred_to) + " " + note
    return _change(report, actor, Action.CLOSE, note, expected_version, resolution=resolution)


def reopen(report: Report, actor, note: str, expected_version: int | None = None,
           on_request: bool = False) -> Update:
    """Open a closed report again; the clock goes on from its first day. `on_request`: the reporter asked and the
    category's policy reopens at once, so no one on staff acts (`actor` is None)."""
    note = _required(note, _l("Say why the report is reopened."))

    def unlink(update):
        report.duplicate_of = None
        report.reopens = (report.reopens or 0) + 1  # counted as a reopen, never as a second close

    return _change(report, actor, Action.REOPEN, note, expected_version, apply=unlink, on_request=on_request)


def reassign(report: Report, actor, department: Department, reason: str,
             expected_version: int | None = None) -> Update:
    """Send the report to another department that handles its category; the public sees where."""
    reason = _required(reason, _l("Give a reason for sending it elsewhere."))
    if department.id == report.department_id:
        raise IllegalTransition(gettext("The report is already with %(department)s.", department=department.name))
    category = report.category
    if department not in category.departments and department.id != category.fallback_department_id:
        raise IllegalTransition(gettext("%(department)s does not handle “%(category)s”: choose a department that "
                                        "can act.", department=department.name, category=category.name))

    def move(update):
        update.from_department = report.department
        update.to_department = department
        report.department = department

    update = _change(report, actor, Action.REASSIGN, reason, expected_version, kind=UpdateKind.REASSIGN, apply=move)
    notify.department_assigned(update)
    db.session.execute(SEND_ON, {"report_id": report.id, "department_id": department.id,
                                 "category_id": report.category_id})
    return update


# A report passed to a department that sends by Open311 goes to that city system too, once (migration 0015:
# its trigger queues the job).
SEND_ON = text("""
    INSERT INTO report_send (report_id, city_system_id)
    SELECT :report_id, target FROM send_target(:department_id, :category_id) AS target WHERE target IS NOT NULL
    ON CONFLICT DO NOTHING
""")


def merge(duplicate: Report, original: Report, actor, note: str = "", expected_version: int | None = None) -> Update:
    """Close a report as a duplicate of another, which both reporters can then follow."""
    seen = {duplicate.id}
    while original.duplicate_of is not None:  # merge into the report that is not itself a duplicate
        if original.id in seen:
            raise IllegalTransition(_l("These reports are already merged into each other; reload and check them."))
        seen.add(original.id)
        original = original.duplicate_of
    if original.id == duplicate.id:
        raise IllegalTransition(_l("A report cannot be a duplicate of itself."))
    require_can_act(actor, original)  # it is written to as well: it gets a note on its timeline
    if not original.is_open:
        raise IllegalTransition(gettext("Report #%(number)s is closed; close this one with its own note, or reopen "
                                        "that one first.", number=original.public_id))
    body = (gettext("This was already reported as #%(number)s; follow that report for news.",
                    number=original.public_id) + " " + note).strip()

    def link(update):
        duplicate.duplicate_of = original
        # Touching the original bumps its version: two merges crossing each other cannot both win.
        original.updated_at = update.created_at
        db.session.add(Update(
            report=original, kind=UpdateKind.COMMENT, public=True, user=_user(actor),
            body=gettext("Report #%(number)s was merged into this one.", number=duplicate.public_id),
            created_at=update.created_at,
        ))
        # Everyone who cared about the duplicate now hears about the original, and counts for it.
        notify.move_followers(duplicate, original)
        move_support(duplicate, original)

    return _change(duplicate, actor, Action.MERGE, body, expected_version, apply=link)


def add_note(report: Report, actor, body: str, public: bool) -> Update:
    """A comment on the public timeline, or an internal note the public never sees."""
    require_can_act(actor, report)
    body = _required(body, _l("The note is empty."))
    update = Update(report=report, kind=UpdateKind.COMMENT, public=public, body=body, user=_user(actor),
                    created_at=_now())
    db.session.add(update)
    report.updated_at = update.created_at
    _flush()
    notify.public_update(update)
    return update


def add_outside_note(report: Report, body: str, media_urls: list[str] = (), public: bool = True,
                     at: datetime | None = None) -> Update:
    """A note from outside the city's staff here: a citizen on a FixMyStreet site, or the city's own system
    (at the time it was written there, kept between the report's creation and now)."""
    update = Update(report=report, kind=UpdateKind.COMMENT, public=public, body=_limited(body.strip()),
                    media_urls=list(media_urls), created_at=_within(report, at) if at else _now())
    db.session.add(update)
    report.updated_at = max(report.updated_at, update.created_at)
    _flush()
    notify.public_update(update)
    return update


def apply_outside_change(report: Report, new_status: Status, note: str, at: datetime,
                         media_urls: list[str] = ()) -> Update:
    """A change made in the city's own system, where the department works the report: applied as made there.

    Nobody here acts, so no one's permission is asked; the times follow the event as they do for staff
    (the first answer acknowledges, a close closes, a reopen clears both the close and a merge). `at` is
    the city's time, kept between the report's creation and now so that a clock running wrong cannot
    put an answer before the question.
    """
    at = _within(report, at)
    old = report.status
    update = Update(report=report, kind=UpdateKind.STATUS, public=True, old_status=old, new_status=new_status,
                    body=_limited((note or "").strip()), media_urls=list(media_urls), created_at=at)
    db.session.add(update)
    report.status = new_status
    report.updated_at = max(report.updated_at, at)
    if report.acknowledged_at is None:
        report.acknowledged_at = at
    if old.is_open and not new_status.is_open:
        report.closed_at = at
    if not old.is_open and new_status.is_open:
        report.closed_at = None
        report.duplicate_of = None
    _flush()
    notify.public_update(update)
    return update


def move_support(duplicate: Report, original: Report) -> None:
    """The duplicate's supporters support the original; so does the duplicate's reporter."""
    db.session.execute(
        insert(Support).from_select(
            ["report_id", "supporter"],
            select(literal(original.id), Support.supporter).where(Support.report_id == duplicate.id)
            .union(select(literal(original.id), literal(f"report:{duplicate.id}"))))
        .on_conflict_do_nothing())


def _change(report, actor, action, note, expected_version, resolution=None, kind=UpdateKind.STATUS,
            apply=None, on_request=False) -> Update:
    """Check, then change status and times, write the event and apply(update) in one flush."""
    if not on_request:
        require_can_act(actor, report)
    if expected_version is not None and report.version != expected_version:
        raise StaleReport(_stale_message())
    step: Transition = transition(report.status, action, resolution)
    now = _now()
    update = Update(report=report, kind=kind, public=True, old_status=step.old, new_status=step.new,
                    body=_limited(note), user=_user(actor), created_at=now)
    db.session.add(update)
    report.status = step.new
    report.updated_at = now
    if report.acknowledged_at is None and action is not Action.REASSIGN:
        report.acknowledged_at = now  # the first answer from staff, whatever it was
    if step.closes:
        report.closed_at = now
    if step.reopens:
        report.closed_at = None
    if apply:
        apply(update)
    _flush()
    notify.public_update(update)
    return update


def _flush():
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleReport(_stale_message()) from None


def _stale_message():
    return _l("Someone else changed this report while you were looking at it. Reload it and try again.")


def _required(text: str, message: str, field: str = "note") -> str:
    text = (text or "").strip()
    if not text:
        raise MissingNote(message, field)
    return _limited(text, field)


def _limited(text: str, field: str = "note") -> str:
    if len(text) > NOTE_LIMIT:
        raise MissingNote(gettext("Keep it under %(limit)s characters (this one has %(count)s).",
                                  limit=number(NOTE_LIMIT), count=number(len(text))), field)
    return text


def _within(report: Report, at: datetime) -> datetime:
    return min(max(at, report.created_at), _now())


def _now() -> datetime:
    return datetime.now(UTC)


def _user(actor):
    return actor if getattr(actor, "id", None) else None
