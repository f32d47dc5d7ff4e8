"""GET /healthz: up with the PostGIS version, 503 with the reason when the database is away."""

import socket

from seeclick import create_app


def test_healthz_reports_the_database_and_postgis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["postgis"].split(".")[0] == "3"


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
