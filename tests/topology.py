"""Fixtures for the topology tests: a real PgBouncer and a real streaming replica in front of the durable cluster.

Both stand beside the fault tests' durable cluster (tests/faults.py), never the shared test cluster: these
tests commit what citizens send, as production does, and remove it after.
"""

import re
import shutil

import pytest
from sqlalchemy import text

from seeclick import create_app
from seeclick.devpgbouncer import Pooler
from seeclick.devreplica import Replica
from seeclick.extensions import db
from tests.faults import sqlalchemy_url

SERVER_CONNECTIONS = 2  # the pooler's connections to PostgreSQL: fewer than the app's to the pooler
MARK = "topology test"  # in each report's description, to remove them after


@pytest.fixture(scope="session")
def pooler(durable_cluster):
    """PgBouncer in transaction mode in front of the durable cluster, with SERVER_CONNECTIONS server connections."""
    pooler = Pooler(durable_cluster, name="faults-pgbouncer", preferred_port=64339,
                    server_connections=SERVER_CONNECTIONS)
    if pooler.settings_file.exists() and pooler.running():
        pooler.stop()  # started by an earlier run that was killed: its settings may be another's
    pooler.start()
    yield pooler
    pooler.stop()


@pytest.fixture(scope="session")
def replica(durable_cluster):
    """A hot standby of the durable cluster, copied afresh (an old copy may lack WAL the primary recycled)."""
    replica = Replica(durable_cluster, name="faults-replica", preferred_port=54359)
    if replica.settings_file.exists() and replica.running():
        replica.stop()
    shutil.rmtree(replica.pgdata, ignore_errors=True)
    replica.start()
    yield replica
    replica.stop()


def make_app(url, **config):
    """The application on a database given by URL (the pooler's, the primary's), with `config` over the tests'."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
                      "RATELIMIT_STORAGE_URI": "memory://", **config})
    return app


def forget(app):
    """Every connection of the app's engines closed (so no test leaves them to the next cluster restart)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def csrf_token(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def remove_reports(engine):
    """The reports these tests made, with their timeline, followers and mail."""
    with engine.begin() as connection:
        ids = connection.execute(text("SELECT id FROM report WHERE description LIKE :mark"),
                                 {"mark": f"%{MARK}%"}).scalars().all()
        connection.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
        connection.execute(text("DELETE FROM report_update WHERE report_id = ANY(:ids)"), {"ids": ids})
        connection.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
        connection.execute(text("DELETE FROM notification WHERE report_id = ANY(:ids)"), {"ids": ids})
        connection.execute(text("DELETE FROM report WHERE id = ANY(:ids)"), {"ids": ids})
