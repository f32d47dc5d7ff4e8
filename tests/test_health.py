"""GET /healthz: up with the PostGIS version, 503 with the reason when the database is away."""

import socket

from sqlalchemy import text

from seeclick import create_app


def test_healthz_reports_the_database_and_postgis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] in ("ok", "behind") and body["database"] == "ok"
    assert body["postgis"].split(".")[0] == "3"


def background_work(session, mail_age=None, stats_age="30 seconds", map_age="40 seconds", heartbeat_age="5 seconds"):
    """Set how long ago the worker last did each kind of work (all in the test's transaction)."""
    session.execute(text("DELETE FROM procrastinate_workers"))
    session.execute(text("UPDATE notification SET sent_at = now() WHERE sent_at IS NULL"))
    session.execute(text("UPDATE stats_state SET folded_at = now() - CAST(:age AS interval)"), {"age": stats_age})
    session.execute(text("INSERT INTO job_run VALUES ('fold_map_counts', now() - CAST(:age AS interval)) "
                         "ON CONFLICT (task) DO UPDATE SET finished_at = excluded.finished_at"), {"age": map_age})
    session.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - CAST(:age AS interval))"),
                    {"age": heartbeat_age})
    if mail_age:
        session.execute(text("INSERT INTO notification (event, event_key, recipient, subject, body, created_at) "
                             "VALUES ('confirm', 'health-test', 'someone@example.org', 's', 'b', "
                             "now() - CAST(:age AS interval))"), {"age": mail_age})


def test_healthz_says_the_background_work_is_current(client, session):
    background_work(session)
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["behind"] == []
    assert body["jobs"] == {"mail_waiting": 0, "mail_oldest_seconds": None, "statistics_seconds_behind": 30.0,
                            "map_counts_seconds_behind": 40.0, "worker_heartbeat_seconds": 5.0}


def test_healthz_says_how_far_behind_mail_statistics_and_map_counts_are(client, session):
    background_work(session, mail_age="12 minutes", stats_age="20 minutes", map_age="1 hour",
                    heartbeat_age="3 minutes")
    response = client.get("/healthz")
    assert response.status_code == 200  # the pages work: a monitor alerts, a load balancer keeps the host
    body = response.get_json()
    assert body["status"] == "behind" and body["behind"] == ["mail", "map_counts", "statistics", "worker"]
    assert body["jobs"]["mail_waiting"] == 1 and body["jobs"]["mail_oldest_seconds"] == 720.0
    assert body["jobs"]["statistics_seconds_behind"] == 1200.0 and body["jobs"]["map_counts_seconds_behind"] == 3600.0
    assert body["jobs"]["worker_heartbeat_seconds"] == 180.0


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket closes


def test_healthz_answers_503_with_the_reason_when_the_database_is_down():
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg2://nobody:x@127.0.0.1:{closed_port()}/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"] == "unreachable"
    assert body["reason"] == "cannot reach the database"
    assert "127.0.0.1" not in response.get_data(as_text=True) and "nobody" not in response.get_data(as_text=True)
