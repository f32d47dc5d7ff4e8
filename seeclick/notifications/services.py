"""Write mail to the outbox in the caller's transaction, and manage who follows a report. Flush, never commit.

The notification_enqueue trigger queues the delivery job in the same transaction, so mail is
sent for what was committed and only for that.
"""

from sqlalchemy import String, func, select
from sqlalchemy.dialects.postgresql import insert

from seeclick import dbapi, languages
from seeclick.delivery.models import SendMethod
from seeclick.extensions import db
from seeclick.notifications import mail, queries, subscriptions
from seeclick.notifications.models import Event, Follower, Notification, new_token
from seeclick.reports.models import Report, Update

# The reporter's subscription and their receipt in one statement (both on a report just made).
RECEIPT = """
    WITH reporter AS (
        INSERT INTO follower (report_id, email, token, confirmed_at, locale)
        VALUES (%(report_id)s, %(recipient)s, %(token)s, now(), %(locale)s)
    )
    INSERT INTO notification (event, event_key, recipient, report_id, subject, body)
    VALUES (%(event)s, %(event_key)s, %(recipient)s, %(report_id)s, %(subject)s, %(body)s)
    ON CONFLICT DO NOTHING
"""


def reporter_receipt(report, email: str, expectation: str, locale: str) -> None:
    """The reporter follows their report from the start (they typed the address themselves) and is told
    we have it, where it went and what to expect, in the language they wrote in.

    `report` is a report just made (reports.submission.Made): its id, public_id, category.name and
    department.name are read.
    """
    reporter = Follower(report_id=report.id, email=email.strip(), token=new_token(), locale=locale)  # by RECEIPT
    row = _row(Event.SUBMITTED, f"submitted:{report.id}", reporter.email, report, "email/submitted.txt",
               locale, follower=reporter, expectation=expectation)
    dbapi.rows(RECEIPT, {**row, "event": row["event"].value, "token": reporter.token, "locale": locale})


def public_update(update: Update) -> None:
    """Tell the reporter and followers of a change they can see: a status, a public note, a move."""
    if not update.public:
        return
    _queue(Event.UPDATE, f"update:{update.id}", queries.active_followers(update.report.id), update.report,
           "email/update.txt", update=update)


def department_assigned(update: Update) -> None:
    """Tell the department a ticket was passed to it: its address, or else its staff."""
    department = update.to_department
    if department.send_method is not SendMethod.MAIL:  # its reports go to the city's system, or nowhere
        return
    addresses = [(department.email, None)] if department.email else queries.department_staff(department.id)
    rows = [_row(Event.ASSIGNED, f"assigned:{update.id}", address, update.report, "email/assigned.txt", locale,
                 update=update, department=department) for address, locale in addresses]
    _insert(rows)


def send_failed(send) -> None:
    """Tell the department that a report keeps failing to reach the city's system: its staff, or else its address."""
    report = send.report
    department = report.department
    addresses = queries.department_staff(department.id) or ([(department.email, None)] if department.email else [])
    _insert([_row(Event.SEND_FAILED, f"send_failed:{send.id}:{send.attempts}", address, report,
                  "email/send_failed.txt", locale, send=send, department=department) for address, locale in addresses])


def follow(report: Report, email: str) -> Follower:
    """Ask to follow a report: the address confirms from a link first, whoever asked (see subscriptions).

    The mail is in the language of the page they asked from, from now on.
    """
    email = email.strip()
    follower = queries.follower_of(report.id, email) or Follower(report=report, email=email)
    follower.locale = languages.current()
    if subscriptions.ask(follower):
        _queue(Event.CONFIRM, f"confirm:{follower.id}:{follower.token[:12]}", [follower], report,
               "email/confirm.txt")
    return follower


def confirm(token: str) -> Follower | None:
    """Start the updates a link was sent for; for a report merged since, on the report it went into."""
    follower, _first = subscriptions.confirm(Follower, token)
    if follower is not None and follower.report.duplicate_of_id is not None:
        return _follow_original(follower)
    return follower


def stop(token: str) -> Follower | None:
    return subscriptions.stop(Follower, token)


def _follow_original(follower: Follower) -> Follower:
    """A merge moved only confirmed followers; one who confirms afterwards follows the original too."""
    original, seen = follower.report, set()
    while original.duplicate_of is not None and original.id not in seen:
        seen.add(original.id)
        original = original.duplicate_of
    moved = queries.follower_of(original.id, follower.email)
    if moved is None:
        moved = Follower(report=original, email=follower.email, confirmed_at=follower.confirmed_at,
                         locale=follower.locale)
        db.session.add(moved)
        db.session.flush()
    else:
        moved.confirmed_at = moved.confirmed_at or follower.confirmed_at
        moved.stopped_at = None
    return moved


def move_followers(duplicate: Report, original: Report) -> int:
    """On a merge, everyone following the duplicate (its reporter too) follows the original."""
    moved = db.session.execute(
        insert(Follower)
        .from_select(["report_id", "email", "token", "confirmed_at", "locale"],
                     select(original.id, Follower.email, func.replace(func.gen_random_uuid().cast(String), "-", ""),
                            Follower.confirmed_at, Follower.locale)
                     .where(Follower.report_id == duplicate.id, Follower.confirmed_at.is_not(None),
                            Follower.stopped_at.is_(None)))
        .on_conflict_do_nothing()
    )
    return moved.rowcount


def _queue(event, key, followers, report, template, **context):
    _insert([_row(event, key, f.email, report, template, f.locale, follower=f, **context) for f in followers])


def _row(event, key, address, report, template, locale, **context):
    """An outbox row for one address, written in its language (None: the city's default)."""
    subject, body = mail.render(template, locale, report=report, **context)
    return {"event": event, "event_key": key, "recipient": address, "report_id": report.id,
            "subject": subject, "body": body}


def _insert(rows):
    """Add outbox rows; one already written for this event and address is left as it is."""
    if rows:
        db.session.execute(insert(Notification).values(rows).on_conflict_do_nothing())
