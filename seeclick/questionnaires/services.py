"""Closing the loop: ask "was it fixed?", take the answer, and decide requests to reopen. Flush, never commit.

Some days after a report is closed as fixed (its department's questionnaire_days), each confirmed
follower, its reporter first of all, gets one mail with two links, "yes, it is fixed" and "no, it
is not". The link records the answer once and for a month; the report keeps the reporter's answer
(or, without one, the first answer) as fix_confirmed, which the statistics fold in. A "no", or a
reporter's request from their mail, is a request to reopen: it reopens at once where the category
says so, otherwise it waits for the department, who accept it (the report reopens and its clock
goes on from its first day) or decline it with a reason the public reads.
"""

from datetime import UTC, datetime, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert

from seeclick.accounts.permissions import require_can_act
from seeclick.categories.models import ReopenPolicy
from seeclick.extensions import db
from seeclick.notifications import mail
from seeclick.notifications.models import Event, Notification
from seeclick.photos import services as photos
from seeclick.questionnaires import queries
from seeclick.questionnaires.models import Decision, Questionnaire, ReopenRequest, Source
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Update, UpdateKind

LINKS_LAST = timedelta(days=30)
NOTE_LIMIT = 2000


class Refused(ValueError):
    """What a person asked cannot be done (an expired link, a report not closed); `field` says where to show it."""

    def __init__(self, message, field="note"):
        super().__init__(message)
        self.field = field


def ask(now: datetime | None = None) -> int:
    """Write the "was it fixed?" mails that are due; how many."""
    now = now or datetime.now(UTC)
    written = 0
    for report, follower in queries.due(now):
        questionnaire = Questionnaire(report=report, follower=follower, closed_at=report.closed_at,
                                      expires_at=now + LINKS_LAST)
        db.session.add(questionnaire)
        db.session.flush()
        subject, body = mail.render("email/questionnaire.txt", follower.locale, report=report,
                                    questionnaire=questionnaire, follower=follower)
        db.session.execute(insert(Notification).values(
            event=Event.QUESTIONNAIRE, event_key=f"questionnaire:{questionnaire.id}", recipient=follower.email,
            report_id=report.id, subject=subject, body=body).on_conflict_do_nothing())
        written += 1
    return written


def is_reporter(report, email: str) -> bool:
    return bool(report.reporter_email) and report.reporter_email.lower() == (email or "").lower()


def answer(questionnaire: Questionnaire, fixed: bool, now: datetime | None = None) -> bool:
    """Record a person's answer from their link; False when they had answered already (the link works once)."""
    now = now or datetime.now(UTC)
    if questionnaire.answered_at is not None:
        return False
    if questionnaire.expires_at < now:
        raise Refused(_l("This link has expired: it worked for a month after we asked."))
    report = questionnaire.report
    questionnaire.answered_at, questionnaire.fixed = now, fixed
    reporter = is_reporter(report, questionnaire.follower.email)
    current = report.closed_at == questionnaire.closed_at and not report.is_open
    if current and (reporter or report.fix_confirmed is None):
        report.fix_confirmed = fixed  # folded into the figures like any change of the report
    if not fixed and current:
        request_reopen(report, Source.QUESTIONNAIRE, reporter=reporter, questionnaire=questionnaire)
    db.session.flush()
    return True


def add_note(questionnaire: Questionnaire, note: str) -> None:
    """The words a person adds after answering: public, on the timeline, when they said it is not fixed."""
    note = _checked(note, required=True)
    if questionnaire.answered_at is None:
        raise Refused(_l("Answer the question first."))
    questionnaire.note = note
    if questionnaire.fixed is False:
        _timeline(questionnaire.report, _said(questionnaire.report, questionnaire.follower.email, note))
    db.session.flush()


def request_reopen(report, source: Source, note: str = "", photo=None, questionnaire=None,
                   reporter: bool = True) -> ReopenRequest:
    """A request to reopen, shown on the public timeline; it reopens at once where the category says so."""
    if report.is_open:
        raise Refused(_l("This report is open already: the department is still on it."))
    note = _checked(note)
    request = ReopenRequest(report=report, source=source, note=note, photo=photo, questionnaire=questionnaire)
    db.session.add(request)
    who = gettext("The reporter") if reporter else gettext("Someone following this report")
    said = gettext("%(who)s says it is not fixed.", who=who) + (f" {note}" if note else "")
    if report.category.reopen_policy is ReopenPolicy.AT_ONCE:
        update = lifecycle.reopen(report, None, gettext("Reopened: %(said)s", said=said), on_request=True)
        request.decided_at, request.decision = datetime.now(UTC), Decision.ACCEPTED
    else:
        update = _timeline(report, gettext("Asked to reopen: %(said)s The department will decide.", said=said))
    if photo is not None:
        photos.attach([photo], report, update)  # beside the request on the public timeline
    db.session.flush()
    return request


def decide(request: ReopenRequest, actor, accept: bool, reason: str = "") -> None:
    """Staff accept (the report reopens; the clock goes on) or decline with a reason the public reads."""
    report = request.report
    require_can_act(actor, report)
    if request.decided_at is not None:
        raise Refused(_l("This request was decided already."), "reason")
    if not accept and not (reason or "").strip():
        raise Refused(_l("Give the reason the public will read: why it stays closed."), "reason")
    reason = _checked(reason, field="reason")
    if accept:
        if report.is_open:
            raise Refused(_l("This report is open again already."), "reason")
        lifecycle.reopen(report, actor, gettext("Reopened at the request of the public.")
                         + (f" {reason}" if reason else ""))
    else:
        _timeline(report, gettext("The request to reopen was declined: %(reason)s", reason=reason), actor)
    request.decided_at, request.decision = datetime.now(UTC), Decision.ACCEPTED if accept else Decision.DECLINED
    request.reason, request.decided_by_id = reason, getattr(actor, "id", None)
    db.session.flush()


def _said(report, email, note):
    who = gettext("The reporter") if is_reporter(report, email) else gettext("Someone following this report")
    return gettext("%(who)s adds: %(note)s", who=who, note=note)


def _timeline(report, body: str, actor=None) -> Update:
    update = Update(report=report, kind=UpdateKind.COMMENT, public=True, body=body,
                    user=actor if getattr(actor, "id", None) else None, created_at=datetime.now(UTC))
    db.session.add(update)
    report.updated_at = update.created_at
    db.session.flush()
    from seeclick.notifications import services as notify

    notify.public_update(update)
    return update


def _checked(text: str, required: bool = False, field: str = "note") -> str:
    text = (text or "").strip()
    if required and not text:
        raise Refused(_l("Write a few words, or leave the page."), field)
    if len(text) > NOTE_LIMIT:
        raise Refused(_l("Keep it under %(limit)d characters.", limit=NOTE_LIMIT), field)
    if "\x00" in text:
        raise Refused(_l("This contains a character that cannot be kept; please type it again."), field)
    return text
