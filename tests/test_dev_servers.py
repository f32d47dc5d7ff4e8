"""The project-local servers start on a free port when another server has taken the one they saved.

On a machine with several checkouts, each has its own cluster and Redis under its instance/; a port
one of them saved can be taken by another's while it is stopped. Starting again moves it to a free
port and says so, rather than failing with "could not bind".
"""

import json
import socket
import subprocess
import time

import pytest

from seeclick import devdb, devredis


def listening_on(port):
    """Something else listening on a loopback port, for as long as the socket is open (once the server
    just stopped has let go of it)."""
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(100):
        try:
            squatter.bind(("127.0.0.1", port))
            break
        except OSError:
            time.sleep(0.05)
    else:
        squatter.close()
        raise AssertionError(f"port {port} is still held after the server stopped")
    squatter.listen()
    return squatter


def free():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_cluster_whose_port_was_taken_starts_on_another_and_says_so(tmp_path, capsys):
    cluster = devdb.Cluster(tmp_path, name="pgdata", databases=("moved",), preferred_port=free())
    cluster.start()
    try:
        saved = cluster.settings()["port"]
        cluster.stop()
        with listening_on(saved):
            cluster.start()
            port = cluster.settings()["port"]
            assert port != saved
            said = capsys.readouterr().out
            assert f"port {saved} is taken by another server; this cluster now listens on {port}" in said
            assert cluster.psql("SELECT current_setting('port')", database="moved") == str(port)
        cluster.stop()
        cluster.start()  # the port it moved to is kept
        assert cluster.settings()["port"] == port and "taken" not in capsys.readouterr().out
    finally:
        cluster.stop()


@pytest.fixture
def own_redis(tmp_path, monkeypatch):
    """devredis with its files in a directory of the test's own, on a free port."""
    monkeypatch.setattr(devredis, "DIRECTORY", tmp_path / "redis")
    monkeypatch.setattr(devredis, "SETTINGS", tmp_path / "devredis.json")
    monkeypatch.setattr(devredis, "CONF", tmp_path / "redis" / "redis.conf")
    monkeypatch.setattr(devredis, "PIDFILE", tmp_path / "redis" / "redis.pid")
    monkeypatch.setattr(devredis, "LOG", tmp_path / "redis.log")
    monkeypatch.setenv("SEECLICK_REDIS_PORT", str(free()))
    yield devredis
    devredis.stop()


def redis_ping(port, password):
    reply = subprocess.run(["redis-cli", "-p", str(port), "-a", password, "--no-auth-warning", "PING"],
                           capture_output=True, text=True, timeout=10)
    return reply.stdout.strip()


def test_a_redis_whose_port_was_taken_starts_on_another_and_says_so(own_redis, capsys):
    own_redis.start()
    saved = own_redis.settings()
    own_redis.stop()
    with listening_on(saved["port"]):
        own_redis.start()
        moved = json.loads(own_redis.SETTINGS.read_text())
        assert moved["port"] != saved["port"] and moved["password"] == saved["password"]
        assert f"port {saved['port']} is taken by another server; this Redis now listens on {moved['port']}" \
            in capsys.readouterr().out
        assert redis_ping(moved["port"], moved["password"]) == "PONG"
