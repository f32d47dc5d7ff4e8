"""Deliver one outbox row: at most once per (event, address), retried by the queue on failure."""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from sqlalchemy import select

from seeclick.extensions import db
from seeclick.notifications import mail
from seeclick.notifications.models import Notification


def deliver(notification_id: int) -> bool:
    """Send the notification unless it was sent already; True when this call sent it.

    The row stays locked while the mail goes out, so two workers given the same job cannot
    both send it; the second skips it. On failure the attempt is recorded and the error
    raised again, for the queue to retry later.
    """
    notification = db.session.scalar(
        select(Notification).where(Notification.id == notification_id).with_for_update(skip_locked=True))
    if notification is None or notification.sent_at is not None:
        db.session.rollback()
        return False
    try:
        mail.send(message(notification))
    except Exception as error:
        db.session.rollback()
        failed = db.session.get(Notification, notification_id)
        failed.attempts += 1
        failed.last_error = f"{type(error).__name__}: {error}"[:1000]
        db.session.commit()
        raise
    notification.sent_at = datetime.now(UTC)
    notification.attempts += 1
    notification.last_error = None
    db.session.commit()
    return True


def message(notification: Notification) -> EmailMessage:
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = notification.recipient
    msg["Subject"] = notification.subject
    msg["Date"] = format_datetime(notification.created_at)
    # The same id on every attempt: a mail server or client that sees it twice keeps one.
    msg["Message-ID"] = f"<notification-{notification.id}@{config['MAIL_DOMAIN']}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(notification.body)
    return msg
