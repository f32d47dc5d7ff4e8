"""A person's own data: the link to it, erasing it on request, and the retention rule. Flush, never commit.

Erasing takes the contact details (name, email, phone, the browser's keyed hash), the answers to
private questions and the text moderators took out of a description or address (kept for them to
undo a redaction) off the person's reports, and keeps the reports' public facts: place, category,
description as the public reads it, photos, timeline and the statistics they count in. Their
follows, watches and the mail addressed to them are deleted. The retention rule does the same for
every report closed long enough ago, with its followers and its mail. Either writes one row to
`contact_removal`: when, which rule, how many; nothing about whom. A ban is not lifted by either:
it ends on its own date.
"""

from datetime import UTC, datetime

from sqlalchemy import delete, func, text
from sqlalchemy.dialects.postgresql import insert

from seeclick import languages
from seeclick.extensions import db
from seeclick.moderation.models import Act
from seeclick.notifications import mail
from seeclick.notifications.models import Event, Follower, Notification, Watch
from seeclick.privacy import queries
from seeclick.privacy.models import ContactRemoval, RemovalRule

RETENTION_BATCH = 5000  # reports a run of the retention rule takes, so that no run holds many rows for long

# What a report (aliased r) holds about its reporter, set to nothing; `answers` loses its private questions'.
PRIVATE_CODES = ("ARRAY(SELECT q.code FROM category_question q WHERE q.category_id = r.category_id AND q.private)"
                 "::text[]")
NO_CONTACT = f"""reporter_name = NULL, reporter_email = NULL, reporter_phone = NULL, reporter_browser = NULL,
                 show_name = false, answers = r.answers - {PRIVATE_CODES}, contact_removed_at = now()"""
# Redactions keep the text as it was (and a restore the text it brought back), for moderators to undo.
REDACTIONS = ", ".join(f"'{act.value}'" for act in (Act.REDACT_DESCRIPTION, Act.REDACT_ADDRESS,
                                                     Act.RESTORE_DESCRIPTION, Act.RESTORE_ADDRESS))
UNREDACTED = f"""UPDATE moderation m SET before = NULL, after = NULL FROM {{reports}}
                 WHERE m.report_id = {{reports}}.id AND m.act IN ({REDACTIONS}) RETURNING 1"""


def send_link(address: str) -> bool:
    """Mail the address a link to what is held under it, when anything is; at most one such mail an hour.

    The caller answers the same either way, so that nobody learns from the form what an address holds.
    """
    address = address.strip().lower()
    if not queries.held(address):
        return False
    now = datetime.now(UTC)
    subject, body = mail.render("email/own_data.txt", languages.current(), address=address)
    written = db.session.execute(insert(Notification).values(
        event=Event.OWN_DATA, event_key=f"own-data:{now:%Y-%m-%dT%H}", recipient=address, report_id=None,
        subject=subject, body=body).on_conflict_do_nothing())
    return written.rowcount == 1


ERASE_REPORTS = text(f"""
    WITH mine AS (
        UPDATE report r SET {NO_CONTACT} WHERE lower(r.reporter_email) = :address RETURNING r.id
    ), unredacted AS ({UNREDACTED.format(reports="mine")})
    SELECT count(*) FROM mine
""")


def erase(address: str) -> ContactRemoval | None:
    """Remove what is held under the address, all in the caller's transaction; None when nothing was."""
    address = address.strip().lower()
    reports = db.session.execute(ERASE_REPORTS, {"address": address}).scalar()
    followers = _delete(Follower, Follower.email, address)
    watches = _delete(Watch, Watch.email, address)
    mails = _delete(Notification, Notification.recipient, address)
    return _log(RemovalRule.REQUEST, None, reports, followers, watches, mails)


def _delete(model, column, address) -> int:
    return db.session.execute(delete(model).where(func.lower(column) == address)
                              .execution_options(synchronize_session="fetch")).rowcount


# The closed reports due, oldest first, taken from the partial index of those not done yet; a report
# someone is changing right now is left for the next run. `held` says whether it had anything to remove.
REMOVE_OLD_CONTACT = text(f"""
    WITH due AS (
        SELECT id, (reporter_name IS NOT NULL OR reporter_email IS NOT NULL OR reporter_phone IS NOT NULL
                    OR reporter_browser IS NOT NULL OR answers ?| {PRIVATE_CODES}) AS held
        FROM report r
        WHERE closed_at IS NOT NULL AND contact_removed_at IS NULL
          AND closed_at < now() - make_interval(months => :months)
        ORDER BY closed_at
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    ), cleared AS (
        UPDATE report r SET {NO_CONTACT} FROM due WHERE r.id = due.id RETURNING r.id, due.held
    ), unredacted AS ({UNREDACTED.format(reports="cleared")}
    ), followers AS (
        DELETE FROM follower f USING cleared WHERE f.report_id = cleared.id RETURNING 1
    ), mails AS (
        DELETE FROM notification n USING cleared WHERE n.report_id = cleared.id RETURNING 1
    )
    SELECT (SELECT count(*) FROM cleared WHERE held), (SELECT count(*) FROM followers),
           (SELECT count(*) FROM mails), (SELECT count(*) FROM cleared)
""")


def remove_old_contact(months: int, batch: int = RETENTION_BATCH) -> ContactRemoval | None:
    """Remove the contact details, followers and mail of reports closed more than `months` months ago.

    At most `batch` reports a call (the hourly job catches up on a backlog run by run); None when
    there was nothing to remove.
    """
    reports, followers, mails, _looked_at = db.session.execute(
        REMOVE_OLD_CONTACT, {"months": months, "batch": batch}).one()
    return _log(RemovalRule.RETENTION, months, reports, followers, 0, mails)


def _log(rule, months, reports, followers, watches, mails) -> ContactRemoval | None:
    if not (reports or followers or watches or mails):
        return None
    removal = ContactRemoval(rule=rule, months=months, reports=reports, followers=followers, watches=watches,
                             mails=mails)
    db.session.add(removal)
    db.session.flush()
    return removal
