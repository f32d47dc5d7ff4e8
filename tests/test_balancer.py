"""Several app servers behind nginx, all real: two gunicorn instances on the test database and the tests' Redis,
nginx in front on free loopback ports (seeclick/devbalancer.py, as `make cluster` runs them).

The servers commit for real: what a test makes through them is removed afterwards.
"""

import re
import shutil
import signal
import time
import uuid
from collections import Counter

import mapbox_vector_tile
import pytest
import requests
from limits import parse_many
from sqlalchemy import delete, select, text

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role, User
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.devbalancer import ROOT, Balancer
from seeclick.devdb import INSTANCE
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.moderation import services as moderation
from seeclick.moderation.models import Reason
from seeclick.publicmap import tiles
from seeclick.reports.models import Report, Update
from seeclick.routing import route

TILE_MAX_AGE = 3  # seconds: short, so a test sees a cached tile expire
PASSWORD = "correct horse battery staple"
PLACE = LatLon(40.6782, -73.9442)  # Crown Heights, Brooklyn
MARK = "balancer-test"


@pytest.fixture(scope="module")
def cluster(app):
    """nginx in front of two app servers, sharing the database, Redis and one SECRET_KEY; stopped afterwards."""
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SEECLICK_RATELIMIT_STORAGE": app.config["RATELIMIT_STORAGE_URI"],
           "SECRET_KEY": "one secret for every app server", "SEECLICK_MAP_TILE_MAX_AGE": str(TILE_MAX_AGE)}
    balancer = Balancer(INSTANCE, name="balancer-test", servers=2, workers=2, env=env, preferred_port=5180,
                        reveal_upstream=True)
    balancer.configure()
    shutil.rmtree(balancer.root / "cache", ignore_errors=True)  # no tile of an earlier run
    try:
        balancer.start()
    except SystemExit as failed:
        balancer.stop()
        raise RuntimeError(str(failed)) from None
    yield balancer
    balancer.stop()


@pytest.fixture
def both_up(cluster):
    """Both app servers running (a test may have killed one), and each one's address as nginx names it."""
    for i in range(2):
        cluster.start_server(i)
    return [f"127.0.0.1:{port}" for port in cluster.servers]


def served_by(answer) -> str:
    """The app server that answered (after a failover nginx lists every one it tried: the last answered)."""
    return answer.headers["X-Upstream"].split(",")[-1].strip()


class FromAddress(requests.adapters.HTTPAdapter):
    """Connect from this loopback address, as a citizen elsewhere on the network would."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def citizen(address="127.0.0.1") -> requests.Session:
    http = requests.Session()
    adapter = FromAddress(address)
    http.mount("http://", adapter)
    return http


def token(http, url) -> str:
    page = http.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[1]


@pytest.fixture
def staff_member(app):
    """A committed dispatcher and a manager of Brooklyn's DOT; removed afterwards."""
    with app.app_context():
        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        accounts.create_user(f"dispatcher.{MARK}@city.example", PASSWORD, Role.STAFF, brooklyn, name="Dana Dispatch")
        accounts.create_user(f"manager.{MARK}@city.example", PASSWORD, Role.MANAGER, brooklyn, name="Mo Manager")
        db.session.commit()
    yield f"dispatcher.{MARK}@city.example"
    with app.app_context():
        db.session.execute(delete(User).where(User.email.like(f"%.{MARK}@city.example")))
        db.session.commit()


@pytest.fixture
def made(app):
    """Reports made through the servers (their descriptions carry MARK): deleted afterwards with their mail."""
    yield
    with app.app_context():
        ids = db.session.scalars(select(Report.id).where(Report.description.like(f"%{MARK}%"))).all()
        if ids:
            db.session.execute(text(
                "DELETE FROM procrastinate_jobs WHERE task_name = 'send_notification' AND "
                "(args->>'notification_id')::bigint IN (SELECT id FROM notification WHERE report_id = ANY(:ids))"),
                {"ids": ids})
            db.session.execute(text("DELETE FROM moderation WHERE report_id = ANY(:ids)"), {"ids": ids})
            db.session.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
            db.session.execute(delete(Update).where(Update.report_id.in_(ids)))
            db.session.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
            db.session.execute(delete(Report).where(Report.id.in_(ids)))  # photos, followers, mail: cascade
        db.session.commit()


def sign_in(cluster, http, email) -> requests.Response:
    answer = http.post(f"{cluster.url}/login", data={"csrf_token": token(http, f"{cluster.url}/login"),
                                                     "email": email, "password": PASSWORD},
                       allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer


def logged(cluster, i, mark) -> int:
    """How many requests carrying `mark` app server i's own access log holds (a line is written after the answer)."""
    path = cluster.server_log(i, "access")
    return path.read_text().count(mark) if path.exists() else 0


def test_requests_are_spread_over_both_app_servers(cluster, both_up):
    mark = uuid.uuid4().hex
    answered = Counter()
    for _ in range(12):
        answer = requests.get(f"{cluster.url}/healthz?probe={mark}", timeout=10)
        assert answer.status_code == 200
        answered[served_by(answer)] += 1
    assert set(answered) == set(both_up)
    # Each server's own access log holds the requests nginx says it sent there.
    expected = [answered[both_up[0]], answered[both_up[1]]]
    deadline = time.monotonic() + 5
    while [logged(cluster, i, mark) for i in range(2)] != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [logged(cluster, i, mark) for i in range(2)] == expected


def test_signed_in_on_one_server_still_signed_in_on_the_other(cluster, both_up, staff_member):
    http = citizen()
    first = served_by(sign_in(cluster, http, staff_member))
    seen = set()
    for _ in range(6):
        queue = http.get(f"{cluster.url}/staff/queue", allow_redirects=False, timeout=10)
        assert queue.status_code == 200, f"signed out on {served_by(queue)}: {queue.status_code}"
        assert "Dana Dispatch" in queue.text or staff_member in queue.text
        # A staff page is never kept by the balancer: personal, and marked so.
        assert queue.headers.get("X-Cache-Status") is None
        assert queue.headers["Cache-Control"] == "no-store"
        seen.add(served_by(queue))
    assert seen - {first}, "every request went to the server that signed the session"
    assert seen | {first} == set(both_up)


def test_a_throttle_counts_across_both_servers_by_the_citizens_address(app, cluster, both_up):
    limit = parse_many(app.config["LOGIN_LIMIT"])[0].amount  # failed sign-ins a minute from one address
    guessing = citizen("127.0.0.2")
    csrf = token(guessing, f"{cluster.url}/login")
    answered = Counter()
    for n in range(limit):
        answer = guessing.post(f"{cluster.url}/login", timeout=10, allow_redirects=False,
                               data={"csrf_token": csrf, "email": f"guess{n}@example.org", "password": "wrong"})
        assert answer.status_code == 401, (n, answer.status_code)
        answered[served_by(answer)] += 1
    assert set(answered) == set(both_up)  # each server saw about half: alone, neither would have refused
    refused = guessing.post(f"{cluster.url}/login", timeout=10, allow_redirects=False,
                            data={"csrf_token": csrf, "email": "one.more@example.org", "password": "wrong"})
    assert refused.status_code == 429
    # nginx passes the citizen's address on (X-Forwarded-For): someone else behind the same balancer is not refused.
    neighbour = citizen("127.0.0.3")
    answer = neighbour.post(f"{cluster.url}/login", timeout=10, allow_redirects=False,
                            data={"csrf_token": token(neighbour, f"{cluster.url}/login"),
                                  "email": "neighbour@example.org", "password": "wrong"})
    assert answer.status_code == 401


def committed_report(app) -> str:
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        report = Report(category=pothole, location=to_db(PLACE.to_point()), description=f"Deep hole {MARK}",
                        department_id=route(pothole.id, PLACE).department_id)
        db.session.add(report)
        db.session.commit()
        return report.public_id


def reports_in(answer) -> list[str]:
    decoded = mapbox_vector_tile.decode(answer.content)
    return [f["properties"]["id"] for f in decoded.get("reports", {}).get("features", [])]


def test_tiles_come_from_the_cache_but_a_hidden_report_leaves_within_their_max_age(app, cluster, both_up,
                                                                                      staff_member, made):
    public_id = committed_report(app)
    x, y = tiles.cell_of(PLACE.lon, PLACE.lat, tiles.POINTS_FROM_ZOOM)
    url = f"{cluster.url}/map/tiles/{tiles.POINTS_FROM_ZOOM}/{x}/{y}.pbf"

    drawn = requests.get(url, timeout=10)
    drawn_at = time.monotonic()  # when nginx kept it
    assert drawn.status_code == 200
    assert drawn.headers["X-Cache-Status"] == "MISS"
    assert drawn.headers["Cache-Control"] == f"public, max-age={TILE_MAX_AGE}"
    assert public_id in reports_in(drawn)
    kept = requests.get(url, timeout=10)
    assert kept.headers["X-Cache-Status"] == "HIT"
    assert "X-Upstream" not in kept.headers  # no app server was asked
    assert kept.content == drawn.content
    # The app's Date goes out with the cached copy: a browser counts the max-age from when the tile was drawn.
    assert kept.headers["Date"] == drawn.headers["Date"]
    # A signed-in member of staff gets the same public tile from the cache, and no cookie with it.
    staff = citizen()
    sign_in(cluster, staff, staff_member)
    theirs = staff.get(url, timeout=10)
    assert theirs.headers["X-Cache-Status"] == "HIT" and theirs.content == drawn.content
    assert "Set-Cookie" not in theirs.headers

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        manager = db.session.scalar(select(User).where(User.email == f"manager.{MARK}@city.example"))
        moderation.hide_report(report, manager, Reason.PERSONAL_INFORMATION)
        db.session.commit()
    # nginx counts a max-age in whole seconds from the second it kept the tile: gone within max-age + 1 s.
    time.sleep(max(0.0, drawn_at + TILE_MAX_AGE + 1.5 - time.monotonic()))
    after = requests.get(url, timeout=10)
    assert after.status_code == 200
    assert after.headers["X-Cache-Status"] in ("EXPIRED", "MISS")
    assert public_id not in reports_in(after)


def test_pages_with_a_session_are_never_cached(cluster, both_up):
    http = citizen()
    for _ in range(3):
        form = http.get(f"{cluster.url}/reports/new", timeout=10)
        assert form.status_code == 200
        assert form.headers.get("X-Cache-Status") is None
        assert "no-store" in form.headers["Cache-Control"]


def test_pages_and_json_are_compressed(cluster, both_up):
    for path in ("/", "/open311/v2/services.json"):
        answer = requests.get(f"{cluster.url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert answer.status_code == 200
        assert answer.headers["Content-Encoding"] == "gzip", path


def required_answers(app) -> tuple[int, dict]:
    with app.app_context():
        row = db.session.execute(text(
            "SELECT c.id, coalesce((SELECT json_object_agg(q.code, q.values->0->>'key') FROM category_question q "
            "WHERE q.category_id = c.id AND q.required), '{}') FROM category c WHERE c.code = 'pothole'")).one()
        return row[0], row[1]


def test_one_server_killed_the_other_answers_and_a_report_is_still_made(app, cluster, both_up, made):
    category_id, answers = required_answers(app)
    http = citizen("127.0.0.4")
    form = http.get(f"{cluster.url}/reports/new", timeout=10)
    assert form.status_code == 200
    killed = served_by(form)  # the server that gave the form dies before the citizen sends it
    cluster.stop_server(both_up.index(killed), signal.SIGKILL)
    try:
        fields = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)[1],
                  "submission_key": re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form.text)[1],
                  "lat": f"{PLACE.lat:.6f}", "lon": f"{PLACE.lon:.6f}", "category": str(category_id),
                  "description": f"A pothole, sent while a server was down {MARK} {uuid.uuid4().hex[:6]}",
                  "email": f"{MARK}@example.org", "step": "send",
                  **{f"answer-{code}": value for code, value in answers.items()}}
        sent = http.post(f"{cluster.url}/reports/new", data=fields, allow_redirects=False, timeout=30)
        assert sent.status_code == 303, sent.text[:1000]
        assert sent.headers["Location"].endswith("/sent")
        assert served_by(sent) != killed
        receipt = http.get(f"{cluster.url}{sent.headers['Location']}", timeout=10)
        assert receipt.status_code == 200
        for _ in range(10):  # and everything else a citizen asks for meanwhile
            answer = http.get(f"{cluster.url}/map", timeout=30)
            assert answer.status_code == 200
            assert served_by(answer) != killed
    finally:
        cluster.start_server(both_up.index(killed))
    with app.app_context():
        assert db.session.scalar(select(Report.id).where(Report.description == fields["description"]))


def test_the_model_for_production_is_the_configuration_the_cluster_runs():
    """docs/production.md shows what devbalancer.py writes, for two hosts, so the two never drift apart."""
    written = Balancer(INSTANCE).conf(production=True, upstreams=["app1.internal:8000", "app2.internal:8000"])
    assert f"```nginx\n{written}```" in (ROOT / "docs" / "production.md").read_text()
