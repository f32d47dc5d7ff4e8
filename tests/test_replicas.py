"""Public reads from a real streaming replica; a citizen's own report, and every write, from the primary.

The replica's replay is paused while a citizen sends a report: what then shows the report read the
primary, what does not read the replica. Stopped, the replica is replaced by the primary.
"""

import logging
import math
import time
import uuid

from sqlalchemy import select, text

from seeclick import caching
from seeclick.categories.models import Category
from seeclick.extensions import db
from tests.conftest import CROWN_HEIGHTS
from tests.faults import DATABASE, sqlalchemy_url, wait_until
from tests.topology import MARK, csrf_token, forget, make_app, remove_reports


def tile_at(where, z=17):
    """The map tile (z, x, y) holding a place, at a zoom that draws each report."""
    n = 2 ** z
    lat = math.radians(where.lat)
    return z, int((where.lon + 180) / 360 * n), int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * n)


def caught_up(durable_engine, replica):
    """Whether the replica has replayed everything the primary has written so far."""
    with durable_engine.connect() as connection:
        written = connection.execute(text("SELECT pg_current_wal_lsn()")).scalar()
    return replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn") == "t"


def send_report(app, client):
    """A citizen's report through the web form; its tracking number and the answer page's address."""
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        category, question, answer = pothole.id, pothole.questions[0].code, pothole.questions[0].values[0]["key"]
    response = client.post("/reports/new", data={
        "csrf_token": csrf_token(client, "/reports/new"), "submission_key": uuid.uuid4().hex, "step": "send",
        "lat": str(CROWN_HEIGHTS.lat), "lon": str(CROWN_HEIGHTS.lon), "category": str(category),
        f"answer-{question}": answer, "description": f"A deep hole ({MARK})", "address": "", "email": "",
        "name": "", "phone": ""})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].split("/")[-2], response.headers["Location"]


def public_views(client, number):
    """What another visitor sees of a report: its page, Open311, the open-data feed, the map's tile."""
    caching.forget_all()  # nothing kept in the process stands between the page and the database
    z, x, y = tile_at(CROWN_HEIGHTS)
    return {
        "page": client.get(f"/reports/{number}").status_code,
        "open311": client.get(f"/open311/v2/requests/{number}.json").status_code,
        "feed": number in client.get("/feeds/categories/pothole.atom").get_data(as_text=True),
        "tile": number.encode() in client.get(f"/map/tiles/{z}/{x}/{y}.pbf").data,
    }


def test_a_citizen_sees_their_report_at_once_while_public_pages_read_the_replica(durable_cluster, durable_engine,
                                                                                replica):
    app = make_app(durable_cluster.url(DATABASE), REPLICA_DATABASE_URL=sqlalchemy_url(replica.url(DATABASE)))
    assert wait_until(lambda: caught_up(durable_engine, replica), 30)
    replica.psql("SELECT pg_wal_replay_pause()")
    try:
        assert wait_until(lambda: replica.psql("SELECT pg_get_wal_replay_pause_state()") == "paused", 10)
        citizen, visitor = app.test_client(), app.test_client()
        number, answer_url = send_report(app, citizen)

        sent = citizen.get(answer_url)  # the answer reads the primary: the tracking number at once
        assert sent.status_code == 200 and number in sent.get_data(as_text=True)
        assert visitor.get(answer_url).status_code == 200  # for anyone who has its address
        assert citizen.get(f"/reports/{number}").status_code == 200  # the citizen's own write, from the primary
        # Everyone else reads the replica, which has not replayed the report yet.
        assert public_views(visitor, number) == {"page": 404, "open311": 404, "feed": False, "tile": False}
        assert visitor.get("/map").status_code == 200 and visitor.get("/stats").status_code == 200

        replica.psql("SELECT pg_wal_replay_resume()")
        assert wait_until(lambda: public_views(visitor, number)["page"] == 200, 30)
        assert public_views(visitor, number) == {"page": 200, "open311": 200, "feed": True, "tile": True}
    finally:
        replica.psql("SELECT pg_wal_replay_resume()")
        forget(app)
        remove_reports(durable_engine)


def test_pages_answer_from_the_primary_while_the_replica_is_down(durable_cluster, replica, caplog):
    app = make_app(durable_cluster.url(DATABASE), REPLICA_DATABASE_URL=sqlalchemy_url(replica.url(DATABASE)),
                   REPLICA_RETRY_SECONDS=1)
    client = app.test_client()
    with app.app_context():
        code = db.session.scalar(text("SELECT code FROM neighbourhood ORDER BY code LIMIT 1"))
    z, x, y = tile_at(CROWN_HEIGHTS)
    pages = ["/", "/map", f"/map/tiles/{z}/{x}/{y}.pbf", "/stats", f"/neighbourhoods/{code}",
             "/open311/v2/requests.json", "/feeds/categories/pothole.atom"]

    def answers():
        caching.forget_all()
        return {page: client.get(page).status_code for page in pages}

    def replica_is_read():
        with app.app_context():  # the replica's engine: a standby in recovery, or the primary standing in
            with db.engines["replica"].connect() as connection:
                return connection.execute(text("SELECT pg_is_in_recovery()")).scalar()

    try:
        assert answers() == dict.fromkeys(pages, 200)
        assert replica_is_read()
        replica.stop()
        with caplog.at_level(logging.WARNING, logger="seeclick.replicas"):
            assert answers() == dict.fromkeys(pages, 200)
        assert "replica unreachable" in caplog.text
        assert not replica_is_read()  # the primary answered in its place
    finally:
        replica.start()
    time.sleep(1)  # REPLICA_RETRY_SECONDS: then connections try the replica again
    assert wait_until(replica_is_read, 10)
    assert answers() == dict.fromkeys(pages, 200)
    forget(app)
