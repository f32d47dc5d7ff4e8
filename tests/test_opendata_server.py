"""An export under gunicorn as shipped (gunicorn.conf.py) outlives the worker timeout, and is never cut short.

A citizen on a slow line reads a city's CSV for minutes. Here the timeout is 1 s and the client reads
9 MB at about 1 MB a second through a small receive window, so the response runs for seconds: a sync
worker would be killed after 1 s and the client would see the body end before its last chunk.
"""

import http.client
import socket
import time

import pytest
from sqlalchemy import create_engine, text

from tests.city import CitySystem

REPORTS = 60_000


@pytest.fixture(scope="module")
def exporting(app, tmp_path_factory):
    log = tmp_path_factory.mktemp("export") / "gunicorn.log"
    system = CitySystem(app, log, database="seeclick_export_test")
    engine = create_engine(system.database_url)
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO report (category_id, department_id, location, description, created_at, due_at)
            SELECT c.id, d.id, ST_SetSRID(ST_MakePoint(-73.9442, 40.6782), 4326), 'Deep hole',
                   now() - g * interval '1 minute', now() + interval '3 days'
            FROM generate_series(1, :n) g, category c, department d WHERE c.code = 'pothole' AND d.code = 'dot-bk'
        """), {"n": REPORTS})
    engine.dispose()
    system.start(("--workers", "1", "--timeout", "1"))
    try:
        yield system, log
    finally:
        system.stop()


def slow_get(port: int, path: str):
    """GET path as a slow client: a 16 KB receive window, 64 KB read every 50 ms; the status, headers and body."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    sock.connect(("127.0.0.1", port))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.sock = sock
    connection.request("GET", path)
    response = connection.getresponse()
    body = bytearray()
    while chunk := response.read(65536):  # raises IncompleteRead when the stream ends before its last chunk
        body += chunk
        time.sleep(0.05)
    connection.close()
    return response.status, response.headers, bytes(body)


def test_an_export_longer_than_the_worker_timeout_arrives_whole(exporting):
    system, log = exporting
    started = time.monotonic()
    status, headers, body = slow_get(system.port, "/export/reports.csv")
    took = time.monotonic() - started
    assert status == 200 and headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in headers
    lines = body.decode().split("\r\n")
    assert lines[0].startswith("public_id,") and lines[-1] == "" and len(lines) == REPORTS + 2
    assert all(line.endswith(",40.6782,-73.9442") for line in lines[1:-1])
    assert took > 2, f"the export took {took:.1f} s: too fast to show a 1 s timeout passed"
    assert "WORKER TIMEOUT" not in log.read_text()
