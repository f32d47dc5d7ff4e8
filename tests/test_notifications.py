"""Mail leaves through the job queue to a real SMTP server on loopback: once per event, retried on failure."""

import socket
import threading
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text

from seeclick import jobs
from seeclick.accounts.models import User
from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.notifications.models import Notification
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Report
from seeclick.reports.submission import Draft, submit
from tests.conftest import CROWN_HEIGHTS


class Inbox:
    """An aiosmtpd handler that keeps what it is sent."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def work_the_queue(app):
    """Run the due jobs, as `flask jobs worker --once` does, in a thread of their own.

    The browser tests' Playwright keeps an event loop in the main thread; the worker needs its own.
    """
    worker = threading.Thread(target=jobs.run_worker, args=(app,), kwargs={"once": True})
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the worker did not finish the due jobs within a minute"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback, and the app configured to send through it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {k: app.config[k] for k in ("MAIL_SMTP_HOST", "MAIL_SMTP_PORT", "MAIL_TIMEOUT")}
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=controller.port, MAIL_TIMEOUT=5)
    yield inbox, controller
    controller.stop()
    app.config.update(saved)


@pytest.fixture
def committed(app):
    """Reports made here are committed (the worker reads them on its own connections) and removed after."""
    yield
    with app.app_context():
        ids = db.session.scalars(select(Report.id).where(Report.submission_key.like("mail-%"))).all()
        db.session.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
        db.session.execute(text("DELETE FROM report_update WHERE report_id = ANY(:ids)"), {"ids": ids})
        db.session.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
        db.session.execute(text("DELETE FROM report WHERE id = ANY(:ids)"), {"ids": ids})
        db.session.execute(text("DELETE FROM procrastinate_jobs"))
        db.session.execute(text("DELETE FROM user_account WHERE email LIKE '%.mail@city.example'"))
        db.session.commit()


def file_report(app, key, email="ana@example.org"):
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        report, _ = submit(Draft(category_id=pothole.id, where=CROWN_HEIGHTS, description="Deep hole",
                                 answers={"size": [pothole.questions[0].values[0]["key"]]}, email=email,
                                 submission_key=key))
        db.session.commit()
        return report.id, report.public_id


def notification(app, report_id):
    with app.app_context():
        return db.session.scalars(select(Notification).where(Notification.report_id == report_id)
                                  .order_by(Notification.id)).all()


def jobs_for(app, notification_id):
    with app.app_context():
        return db.session.execute(text(
            "SELECT status, attempts, scheduled_at > now() AS later FROM procrastinate_jobs "
            "WHERE (args->>'notification_id')::bigint = :id ORDER BY id"), {"id": notification_id}).all()


def test_the_reporter_gets_one_receipt_through_smtp_even_if_the_job_runs_twice(app, smtp, committed):
    inbox, _ = smtp
    report_id, number = file_report(app, "mail-1")
    work_the_queue(app)
    [(recipients, message)] = inbox.messages
    assert recipients == ["ana@example.org"]
    assert message["Subject"] == f"Report #{number} received: Pothole"
    assert "went to DOT Brooklyn" in message.get_payload() or "DOT" in message.get_payload()
    [sent] = notification(app, report_id)
    assert sent.sent_at is not None and message["Message-ID"] == f"<notification-{sent.id}@seeclick.example>"

    with app.app_context():  # the same job queued again (a redelivery, a sweep): nothing more is sent
        db.session.execute(text("SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('mail', 'send_notification', 0, "
                                "NULL, NULL, jsonb_build_object('notification_id', :id), NULL)"
                                "::procrastinate_job_to_defer_v1])"), {"id": sent.id})
        db.session.commit()
    work_the_queue(app)
    assert len(inbox.messages) == 1


def test_a_status_change_reaches_the_reporter_and_an_internal_note_does_not(app, smtp, committed):
    from seeclick.accounts import services as accounts
    from seeclick.accounts.models import Role
    from seeclick.departments.models import Department

    inbox, _ = smtp
    report_id, number = file_report(app, "mail-2")
    with app.app_context():
        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        accounts.create_user("dana.mail@city.example", "correct horse battery staple", Role.STAFF, brooklyn)
        db.session.commit()
        dana = db.session.scalar(select(User).where(User.email == "dana.mail@city.example"))
        report = db.session.get(Report, report_id)
        lifecycle.add_note(report, dana, "Internal: send the big truck.", public=False)
        lifecycle.acknowledge(report, dana, "Crew booked for Tuesday.")
        db.session.commit()
    work_the_queue(app)
    subjects = sorted(m["Subject"] for _, m in inbox.messages)
    assert subjects == [f"Report #{number} is now acknowledged", f"Report #{number} received: Pothole"]
    update = next(m for _, m in inbox.messages if "acknowledged" in m["Subject"])
    assert "Crew booked for Tuesday." in update.get_payload() and "big truck" not in update.get_payload()


def test_mail_that_fails_is_retried_later_and_then_sent_once(app, smtp, committed):
    inbox, controller = smtp
    app.config["MAIL_SMTP_PORT"] = free_port()  # nobody listens there: the send fails
    report_id, _ = file_report(app, "mail-3")
    work_the_queue(app)
    [failed] = notification(app, report_id)
    assert failed.sent_at is None and failed.attempts == 1 and "Connection" in failed.last_error
    [(status, attempts, later)] = jobs_for(app, failed.id)
    assert (status, attempts, later) == ("todo", 1, True)  # queued again, for a little later

    app.config["MAIL_SMTP_PORT"] = controller.port  # the server is back
    with app.app_context():
        db.session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now()"))  # and the wait is over
        db.session.commit()
    work_the_queue(app)
    assert [r for r, _ in inbox.messages] == [["ana@example.org"]]
    [sent] = notification(app, report_id)
    assert sent.sent_at is not None and sent.attempts == 2 and sent.last_error is None


def test_without_an_smtp_server_mail_lands_in_a_directory_a_developer_can_read(app, committed, tmp_path):
    saved = app.config["MAIL_DIRECTORY"], app.config["MAIL_SMTP_HOST"]
    app.config.update(MAIL_DIRECTORY=str(tmp_path), MAIL_SMTP_HOST="")
    try:
        _, number = file_report(app, "mail-4")
        work_the_queue(app)
    finally:
        app.config["MAIL_DIRECTORY"], app.config["MAIL_SMTP_HOST"] = saved
    [eml] = list(tmp_path.glob("*.eml"))
    message = message_from_bytes(eml.read_bytes())
    assert message["To"] == "ana@example.org" and f"#{number}" in message["Subject"]


def test_a_rolled_back_change_queues_no_mail(app, committed):
    with app.app_context():
        before = db.session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar()
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        submit(Draft(category_id=pothole.id, where=CROWN_HEIGHTS, description="Never mind",
                     answers={"size": [pothole.questions[0].values[0]["key"]]}, email="x@example.org",
                     submission_key="mail-5"))
        db.session.rollback()
        assert db.session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == before


def test_mail_a_killed_worker_was_sending_goes_out_once_the_worker_is_missed(app, smtp, committed):
    inbox, _ = smtp
    report_id, _ = file_report(app, "mail-stalled")
    [receipt] = notification(app, report_id)
    with app.app_context():  # a worker took the job, then died: no heartbeat for five minutes
        db.session.execute(text(
            "WITH dead AS (INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '5 minutes') "
            "RETURNING id) UPDATE procrastinate_jobs SET status = 'doing', worker_id = (SELECT id FROM dead) "
            "WHERE (args->>'notification_id')::bigint = :id"), {"id": receipt.id})
        db.session.commit()
    work_the_queue(app)
    assert inbox.messages == []  # nobody runs a job another worker holds...
    with app.app_context():  # ...until the sweep finds its worker silent and queues it again
        db.session.execute(text(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'retry_stalled_jobs', 0, "
            "'retry_stalled_jobs', NULL, jsonb_build_object('timestamp', 0), NULL)::procrastinate_job_to_defer_v1])"))
        db.session.commit()
    work_the_queue(app)
    work_the_queue(app)
    assert [r for r, _ in inbox.messages] == [["ana@example.org"]]
    assert [status for status, *_ in jobs_for(app, receipt.id)] in ([], ["succeeded"])
    with app.app_context():
        db.session.execute(text("DELETE FROM procrastinate_workers WHERE last_heartbeat < now() - interval '1 minute'"))
        db.session.commit()
