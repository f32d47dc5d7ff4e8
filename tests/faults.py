"""Fixtures for fault tests: a durable PostGIS cluster of their own, which a test may restart or stop.

The shared test cluster is never restarted: other tests hold connections to it. This one runs with
the durable settings production uses (fsync and synchronous commit on).
"""

import os
import signal
import socket
import subprocess
import time
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from seeclick import create_app
from seeclick.demo import services as demo
from seeclick.devdb import INSTANCE, Cluster
from seeclick.extensions import db

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DATABASE = "seeclick_faults"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlalchemy_url(url):
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


@pytest.fixture(scope="session")
def durable_cluster():
    """A cluster under instance/ with one database, migrated, holding the demo city; stopped when the tests end."""
    cluster = Cluster(INSTANCE, name="faults-pgdata", durable=True, databases=(DATABASE,), preferred_port=54339)
    cluster.start()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(cluster.url(DATABASE))})
    with app.app_context():
        upgrade()
        if not demo.is_loaded():
            demo.load_city()
            db.session.commit()
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    yield cluster
    cluster.stop()


@pytest.fixture
def durable_engine(durable_cluster):
    """An engine on the durable cluster's database (statements commit as they go)."""
    engine = create_engine(sqlalchemy_url(durable_cluster.url(DATABASE)), pool_pre_ping=True,
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:  # mail other tests left waiting is not this test's to send
        connection.execute(text("UPDATE notification SET sent_at = now() WHERE sent_at IS NULL"))
        connection.execute(text("DELETE FROM procrastinate_jobs"))
    yield engine
    with engine.connect() as connection:  # what a test queued is gone before the next
        connection.execute(text("DELETE FROM notification"))
        connection.execute(text("DELETE FROM procrastinate_jobs"))
    engine.dispose()


def wait_until(predicate, seconds, every=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # the database restarting, a server still starting
            pass
        time.sleep(every)
    return False


class Inbox:
    """An aiosmtpd handler that keeps what it is sent."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self):
        return [m["Subject"] for m in self.messages]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def service_env(cluster, inbox=None, **extra):
    """The environment `flask --app wsgi ...` runs in against the durable cluster."""
    env = dict(os.environ, DATABASE_URL=cluster.url(DATABASE), SEECLICK_RATELIMIT_STORAGE="memory://",
               PYTHONPATH=str(ROOT), **extra)
    if inbox is not None:
        env.update(SEECLICK_SMTP_HOST="127.0.0.1", SEECLICK_SMTP_PORT=str(inbox.port))
    return env


def queue_mail(engine, key, subject):
    """One outbox row, committed: its trigger queues the job that sends it."""
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO notification (event, event_key, recipient, subject, body) "
                                "VALUES ('confirm', :key, 'resident@example.org', :subject, 'Hello')"),
                           {"key": f"{key}:{uuid.uuid4().hex[:12]}", "subject": subject})


def start(argv, env):
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(process):
    """Stop what start() started as its supervisor would (SIGTERM, then SIGKILL after 30 s); what it printed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with process.stdout:
        return process.stdout.read()
