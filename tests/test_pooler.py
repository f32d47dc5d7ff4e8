"""Through PgBouncer in transaction mode: citizens and Open311 clients served on fewer server connections than the
app holds, the worker's LISTEN on a connection of its own, and nothing of one client's session left to the next."""

import threading
import uuid

import psycopg2
from sqlalchemy import select, text

from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.open311 import services as open311
from tests.conftest import CROWN_HEIGHTS
from tests.faults import BIN, DATABASE, service_env, start, stop, wait_until
from tests.topology import MARK, SERVER_CONNECTIONS, csrf_token, forget, make_app, remove_reports

WORKER = [str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"]
CLIENTS = 6  # citizens and Open311 clients at once, each on connections of its own to the pooler

# What a server connection carries from the clients it served before: every one of these must be empty.
SESSION_STATE = """
    SELECT (SELECT array_agg(name || '=' || setting ORDER BY name) FROM pg_settings WHERE source = 'session'),
           (SELECT array_agg(c) FROM pg_listening_channels() c),
           (SELECT array_agg(name) FROM pg_prepared_statements),
           (SELECT array_agg(objid) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()),
           (SELECT array_agg(relname::text) FROM pg_class WHERE relnamespace = pg_my_temp_schema()),
           (SELECT array_agg(name) FROM pg_cursors),
           current_setting('transaction_isolation'), pg_backend_pid()
"""


def admin(pooler, command):
    """Rows of a command to PgBouncer's own console, as dicts."""
    connection = psycopg2.connect(pooler.url("pgbouncer"))
    connection.autocommit = True
    try:
        cursor = connection.cursor()
        cursor.execute(command)
        if cursor.description is None:  # a command that answers no rows
            return []
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()


def server_states(pooler):
    """SESSION_STATE on each of the pooler's server connections (one transaction open on each at once)."""
    connections = [psycopg2.connect(pooler.url(DATABASE)) for _ in range(SERVER_CONNECTIONS)]
    try:
        states = []
        for connection in connections:
            cursor = connection.cursor()
            cursor.execute(SESSION_STATE)
            states.append(cursor.fetchone())
        assert len({state[-1] for state in states}) == SERVER_CONNECTIONS  # each its own backend
        return [state[:-1] for state in states]
    finally:
        for connection in connections:
            connection.close()


CLEAN = (None, None, None, None, None, None, "read committed")


def test_citizens_and_open311_clients_are_served_through_the_pooler_and_the_worker_mails_them(
        durable_cluster, durable_engine, pooler, inbox):
    app = make_app(pooler.url(DATABASE), DIRECT_DATABASE_URL=durable_cluster.url(DATABASE),
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": 4 * CLIENTS})
    env = service_env(durable_cluster, inbox)
    env.update(DATABASE_URL=pooler.url(DATABASE), SEECLICK_DIRECT_DATABASE_URL=durable_cluster.url(DATABASE))
    worker = start(WORKER, env)
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        pothole_id, question, answer = pothole.id, pothole.questions[0].code, pothole.questions[0].values[0]["key"]
        _, key = open311.create_key(f"City app ({MARK})")
        db.session.commit()
        # Connections the app holds idle meanwhile: to PostgreSQL itself they would be backends each.
        held = [db.engine.connect() for _ in range(CLIENTS)]
        for connection in held:
            connection.execute(text("SELECT 1"))
            connection.commit()
    sent, problems = {}, []

    def citizen(n):
        try:
            client = app.test_client()
            response = client.post("/reports/new", data={
                "csrf_token": csrf_token(client, "/reports/new"), "submission_key": uuid.uuid4().hex, "step": "send",
                "lat": str(CROWN_HEIGHTS.lat), "lon": str(CROWN_HEIGHTS.lon), "category": str(pothole_id),
                f"answer-{question}": answer, "description": f"A deep hole ({MARK} {n})", "address": "",
                "email": f"citizen{n}@example.org", "name": "", "phone": ""})
            assert response.status_code == 303, response.get_data(as_text=True)[:500]
            answer_page = client.get(response.headers["Location"])
            number = response.headers["Location"].split("/")[-2]
            assert answer_page.status_code == 200 and number in answer_page.get_data(as_text=True)
            sent[f"citizen{n}@example.org"] = number
        except Exception as error:  # reported by the main thread
            problems.append(f"citizen {n}: {error!r}")

    def city_app(n):
        try:
            client = app.test_client()
            made = client.post("/open311/v2/requests.json", data={
                "api_key": key, "service_code": "pothole", "lat": str(CROWN_HEIGHTS.lat),
                "long": str(CROWN_HEIGHTS.lon), f"attribute[{question}]": answer,
                "description": f"A hole ({MARK} app {n})"})
            assert made.status_code == 200, made.get_data(as_text=True)[:500]
            number = made.get_json()[0]["service_request_id"]
            [one] = client.get(f"/open311/v2/requests/{number}.json").get_json()
            assert one["service_request_id"] == number and one["service_code"] == "pothole"
            near = client.get(f"/open311/v2/requests.json?lat={CROWN_HEIGHTS.lat}&long={CROWN_HEIGHTS.lon}"
                              "&radius=200")  # the query that changes planner settings for its transaction
            assert number in {r["service_request_id"] for r in near.get_json()}
        except Exception as error:
            problems.append(f"app {n}: {error!r}")

    threads = [threading.Thread(target=f, args=(n,)) for n in range(CLIENTS) for f in (citizen, city_app)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not problems, problems
        assert len(sent) == CLIENTS

        clients = [c for c in admin(pooler, "SHOW CLIENTS") if c["database"] == DATABASE]
        servers = [s for s in admin(pooler, "SHOW SERVERS") if s["database"] == DATABASE]
        assert len(clients) >= CLIENTS > len(servers) and len(servers) <= SERVER_CONNECTIONS

        def mailed():
            return {m["To"]: m["Subject"] for m in inbox.messages}
        assert wait_until(lambda: set(mailed()) >= set(sent), 60), (mailed(), sent)
        for email, number in sent.items():
            assert mailed()[email] == f"Report #{number} received: Pothole"
        # The worker listens on a connection of its own to PostgreSQL, not one of the pooler's.
        pooled_ports = {s["local_port"] for s in admin(pooler, "SHOW SERVERS")}
        with durable_engine.connect() as connection:
            listening = connection.execute(text(
                "SELECT client_port FROM pg_stat_activity WHERE datname = :db AND query ILIKE 'LISTEN%'"),
                {"db": DATABASE}).scalars().all()
        assert listening and not set(listening) & pooled_ports

        assert server_states(pooler) == [CLEAN] * SERVER_CONNECTIONS  # nothing session-level left behind
    finally:
        for connection in held:
            connection.close()
        forget(app)
        output = stop(worker)
        remove_reports(durable_engine)
    assert worker.returncode == 0, output


def test_what_a_client_sets_for_its_session_would_reach_the_next_client(pooler):
    """Why nothing may be set for a session: the pooler hands the server connection on as it is."""
    try:
        connection = psycopg2.connect(pooler.url(DATABASE))
        connection.autocommit = True
        connection.cursor().execute("SET work_mem = '7MB'")
        connection.close()
        states = server_states(pooler)
        assert [["work_mem=7168"]] == [state[0] for state in states if state[0]]
    finally:
        admin(pooler, f"RECONNECT {DATABASE}")  # the server connections are closed once released, new ones clean
    assert wait_until(lambda: server_states(pooler) == [CLEAN] * SERVER_CONNECTIONS, 10)
