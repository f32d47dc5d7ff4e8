"""Taking things back from the public, and giving them back: every act recorded. Flush, never commit.

What the public may see stays where every output reads it: a report's description and address
hold the redacted text, a report or photo carries the reason it is hidden, a hidden note has a
row in report_update_hidden. What was there before a redaction is kept in the act's own row, for
moderators only, so that an act can be undone. The timeline itself (report_update) is never
changed.
"""

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert

from seeclick.accounts.permissions import require_can_moderate
from seeclick.contact import contact_details_in
from seeclick.extensions import db
from seeclick.moderation import queries
from seeclick.moderation.models import (
    FLAG_REASONS,
    TAKEDOWN_REASONS,
    Act,
    Flag,
    HiddenUpdate,
    Moderation,
    Reason,
    Resolution,
)

FIELDS = {"description": (Act.REDACT_DESCRIPTION, Act.RESTORE_DESCRIPTION),
          "address": (Act.REDACT_ADDRESS, Act.RESTORE_ADDRESS)}
NOTE_LIMIT = 1000


class ModerationError(ValueError):
    """An act that cannot be done as asked; `field` says which input is at fault."""

    def __init__(self, message, field="reason"):
        super().__init__(message)
        self.field = field


def redaction_mark(reason: Reason) -> str:
    """What stands in the text where a moderator took something out, in the city's language (it is stored)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext("[removed by a moderator: %(reason)s]", reason=reason.label)


def hide_report(report, actor, reason: Reason, note: str = "") -> Moderation:
    """Take a whole report from the public: its page says it was removed, and why; it still counts in the figures."""
    _check(actor, report, reason)
    if report.hidden_reason is not None and report.hidden_reason is not Reason.AWAITING_REVIEW:
        raise ModerationError(_l("This report is already hidden."))
    report.hidden_reason, report.hidden_at = reason, _now()
    return _record(report, actor, Act.HIDE_REPORT, reason, note)


def show_report(report, actor, note: str = "") -> Moderation:
    """Make a hidden report public again (or publish one that was waiting for review)."""
    require_can_moderate(actor, report)
    if report.hidden_reason is None:
        raise ModerationError(_l("This report is not hidden."))
    report.hidden_reason = report.hidden_at = None
    return _record(report, actor, Act.SHOW_REPORT, None, note)


def redact(report, actor, field: str, remove: str, reason: Reason, note: str = "") -> Moderation:
    """Take a passage out of the description or the address, wherever it appears in it."""
    _check(actor, report, reason)
    redact_act, _ = FIELDS[field]
    current = getattr(report, field) or ""
    remove = (remove or "").strip()
    if not remove:
        raise ModerationError(_l("Give the exact words to take out."), "remove")
    if remove not in current:
        raise ModerationError(_l("Those words are not in the text as it stands; copy them from it."), "remove")
    changed = current.replace(remove, redaction_mark(reason))
    setattr(report, field, changed)
    _mark_contact_details(report)
    return _record(report, actor, redact_act, reason, note, before=current, after=changed)


def restore(report, actor, field: str, note: str = "") -> Moderation:
    """Undo every redaction of a field since it was last restored: the text as the reporter wrote it."""
    require_can_moderate(actor, report)
    _, restore_act = FIELDS[field]
    original = queries.text_before_redactions(report.id, field)
    if original is None:
        raise ModerationError(_l("Nothing was taken out of this text."), "remove")
    changed = getattr(report, field)
    setattr(report, field, original)
    _mark_contact_details(report)
    return _record(report, actor, restore_act, None, note, before=changed, after=original)


def hide_photo(photo, actor, reason: Reason, note: str = "") -> Moderation:
    """Stop serving a photo to the public; its address changes, so a copy kept by a cache goes stale at once."""
    report = photo_report(photo)
    _check(actor, report, reason)
    if photo.hidden_reason is not None:
        raise ModerationError(_l("This photo is already hidden."))
    photo.hidden_reason, photo.hidden_at = reason, _now()
    from seeclick.photos.models import new_token

    photo.token = new_token()
    return _record(report, actor, Act.HIDE_PHOTO, reason, note, photo_id=photo.id)


def show_photo(photo, actor, note: str = "") -> Moderation:
    report = photo_report(photo)
    require_can_moderate(actor, report)
    if photo.hidden_reason is None:
        raise ModerationError(_l("This photo is not hidden."))
    photo.hidden_reason = photo.hidden_at = None
    return _record(report, actor, Act.SHOW_PHOTO, None, note, photo_id=photo.id)


def hide_note(update_row, actor, reason: Reason, note: str = "") -> Moderation:
    """Take a public note (or a status change's words) off the public timeline; the log keeps it for staff."""
    report = update_row.report
    _check(actor, report, reason)
    if not update_row.public or not update_row.body:
        raise ModerationError(_l("Only words on the public timeline can be hidden."))
    added = db.session.execute(insert(HiddenUpdate).values(update_id=update_row.id, reason=reason)
                               .on_conflict_do_nothing())
    if added.rowcount == 0:
        raise ModerationError(_l("This note is already hidden."))
    return _record(report, actor, Act.HIDE_NOTE, reason, note, update_id=update_row.id)


def show_note(update_row, actor, note: str = "") -> Moderation:
    report = update_row.report
    require_can_moderate(actor, report)
    removed = db.session.execute(delete(HiddenUpdate).where(HiddenUpdate.update_id == update_row.id))
    if removed.rowcount == 0:
        raise ModerationError(_l("This note is not hidden."))
    return _record(report, actor, Act.SHOW_NOTE, None, note, update_id=update_row.id)


def flagger_key(who: str) -> str:
    """A keyed hash of whoever flags (their browser's token, or their address): counted once, never kept."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"flag:" + who.encode(), hashlib.sha256).hexdigest()


def flag(report, reason: Reason, note: str, who: str, from_reporter: bool = False) -> bool:
    """A citizen's "report a problem": into the moderators' queue; False when this person's flag is already there."""
    allowed = (*FLAG_REASONS, Reason.REPORTER_REQUEST) if from_reporter else FLAG_REASONS
    if reason not in allowed:
        raise ModerationError(_l("Choose what is wrong with this report."))
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ModerationError(_l("Keep it under %(limit)d characters.", limit=NOTE_LIMIT), "note")
    if "\x00" in note:
        raise ModerationError(_l("This contains a character that cannot be kept; please type it again."), "note")
    added = db.session.execute(insert(Flag).values(
        report_id=report.id, reason=reason, note=note, flagger=flagger_key(who), from_reporter=from_reporter,
    ).on_conflict_do_nothing(index_elements=["report_id", "flagger"], index_where=Flag.resolved_at.is_(None)))
    return added.rowcount == 1


def resolve_flags(report, actor, resolution: Resolution) -> int:
    """Close every open flag of a report: upheld (something was done) or dismissed; how many."""
    require_can_moderate(actor, report)
    closed = db.session.execute(
        update(Flag).where(Flag.report_id == report.id, Flag.resolved_at.is_(None))
        .values(resolved_at=_now(), resolution=resolution, resolved_by_id=getattr(actor, "id", None)))
    return closed.rowcount


def _mark_contact_details(report) -> None:
    region = current_app.config["PHONE_REGION"]
    report.contact_in_text = bool(contact_details_in(report.description, region)
                                  or contact_details_in(report.address, region))


def photo_report(photo):
    from seeclick.reports.models import Report

    return db.session.get(Report, photo.report_id)


def _check(actor, report, reason) -> None:
    require_can_moderate(actor, report)
    if reason not in TAKEDOWN_REASONS:
        raise ModerationError(_l("Choose the reason the public will read."))


def _record(report, actor, act: Act, reason, note, **values) -> Moderation:
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ModerationError(_l("Keep it under %(limit)d characters.", limit=NOTE_LIMIT), "note")
    row = Moderation(report_id=report.id, act=act, reason=reason, note=note,
                     user_id=getattr(actor, "id", None), created_at=_now(), **values)
    db.session.add(row)
    report.updated_at = row.created_at  # Open311 clients asking what changed since then see it
    db.session.flush()
    return row


def _now() -> datetime:
    return datetime.now(UTC)
