"""Every hot path under gunicorn as in production, beside its floor, at city scale: one table.

    make bench                                          # 5,000,000 reports, 10 s a case
    .venv/bin/python bench/run.py --reports 100000 --seconds 5
    .venv/bin/python bench/run.py --bench-db postgresql://...@127.0.0.1:54329/seeclick_bench
    .venv/bin/python bench/run.py --database-url postgresql://...@127.0.0.1:6432/seeclick_bench_5000000 \\
        --topology pooler                               # the app servers through a pooler
    .venv/bin/python bench/run.py --pooler              # direct, then through the local PgBouncer
    .venv/bin/python bench/run.py --also pooler=postgresql://...@127.0.0.1:6432/seeclick_bench_5000000
                                                        # direct, then through the pooler, side by side

The database: --bench-db, or by default seeclick_bench_<N> in the project's local cluster
(seeclick/devdb.py), created when missing, migrated, given the demo city and filled with generated
reports (`flask demo generate`) up to N; one that already has N reports (within 1%) is reused.
The servers: `gunicorn 'bench.run:bench_app()' --workers 3 --bind 127.0.0.1:<free port>
--no-control-socket` from the project directory, so gunicorn.conf.py is read, as docs/production.md
runs `wsgi:app`; DATABASE_URL is --database-url (the topology: direct, a pooler, a replica; by default
the benchmark database itself). bench_app() is create_app() with RATELIMIT_ENABLED=False (the load
comes from one address; this measures the work, not the throttle) plus /bench/bare, answering "ok".
The load: wrk (-t 2 -c --connections) for a fixed time a round, from a second process, with
bench/wrk/requests.lua going round a list of requests written for the case (many tiles, reports,
places); submissions carry a real session cookie and its form token, fetched beforehand.
The floors, in the same run and in alternate rounds with the service (who goes first alternates):
  SQL   the statements one request sends (captured through the test client, bench/common.py
        capture()), replayed with psycopg2 from --connections threads, one "request" timed as all of
        its statements, results fetched. A submission's statements (captured as it was made, the
        process warmed by as many before) are sent again as a new report: its own submission key and
        follower token, and the id the INSERT returns wherever a later statement names the captured
        report; each committed, and what a round made deleted after it;
  bare  /bench/bare under the same gunicorn and the same wrk settings: the HTTP and Flask floor,
        printed under the table.
The ratio is the service's p50 over the floor's p50 (1.0: nothing above the floor). A case's
figures are the median over its rounds of each round's percentiles; req/s is over all rounds.
The CSV export of up to a million rows is downloaded once through gunicorn (time, rows/s, the
worker's peak RSS sampled from /proc, the rows counted against the query's) beside COPY (the same
query) TO STDOUT through psycopg2. What submissions make is deleted at the end.
Results: bench/results/<date>-<reports>.json and .md (date, commit, cores, reports, topology).
"""

import argparse
import csv
import http.client
import itertools
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
from sqlalchemy import event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.common import capture  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "wrk" / "requests.lua"
WORKERS = 3  # docs/production.md: gunicorn wsgi:app --workers 3 (gunicorn.conf.py: 4 threads each)
OVERRIDES = {"RATELIMIT_ENABLED": False}
STAFF_EMAIL = "bench-staff@example.org"
STAFF_PASSWORD = "bench-run-staff-password"
EXPORT_ROWS = 1_000_000


def bench_app():
    """What gunicorn serves here: the application without its throttles, and the bare route (the floor).

    The test extras put pandas in .venv (lifelines needs it), and Folium imports pandas whenever it is
    installed, which costs each worker about 32 MB. A production install (`pip install .`) has no pandas,
    so the workers measured here are kept without it too.
    """
    sys.modules.setdefault("pandas", None)  # as if not installed: `import pandas` raises ImportError
    from seeclick import create_app

    app = create_app(OVERRIDES)
    app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")
    return app


# The goals of issue 17 for each case: (text, check on the case's figures); every case also has
# "within 3x of its floor" where a floor exists.
def p95_under(ms):
    return f"p95 < {ms} ms", lambda r: r["p95"] < ms


SUBMIT_GOAL = ("≥ 400/s, p95 < 50 ms", lambda r: r["rate"] >= 400 and r["p95"] < 50)
WRITES = ("submission, web form", "submission, Open311 POST")  # the cases that make reports
OPEN311_POST = "/open311/v2/requests.json"
FLOOR_KEY = "bench-floor-"  # the submission keys of the reports a submission's SQL floor makes


# ----------------------------------------------------------------------------------------- database

def flask(database_url, *args, check=True):
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          check=check)


def local_url(name):
    return subprocess.run([sys.executable, str(ROOT / "seeclick" / "devdb.py"), "url", name], check=True,
                          capture_output=True, text=True).stdout.strip()


def prepare_database(url, reports):
    """Create (when it is in the local cluster and missing), migrate and fill the benchmark database to N reports."""
    target = make_url(url)
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    conn = psycopg2.connect(admin)
    conn.autocommit = True  # CREATE DATABASE runs outside a transaction
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target.database,))
        if cur.fetchone() is None:
            print(f"creating database {target.database}", flush=True)
            cur.execute(f'CREATE DATABASE "{target.database}"')
    conn.close()
    print(f"migrating {target.database}", flush=True)
    flask(url, "db", "upgrade")
    flask(url, "demo", "load", "--if-empty", "--reports", "0")
    have = count_reports(url)
    if abs(have - reports) <= reports * 0.01:
        print(f"reusing {target.database}: {have:,} reports (within 1% of {reports:,})", flush=True)
    elif have < reports:
        print(f"{target.database} has {have:,} reports: generating {reports - have:,} more", flush=True)
        flask(url, "demo", "generate", str(reports - have))
        have = count_reports(url)
    else:
        sys.exit(f"{target.database} has {have:,} reports, more than {reports:,}: "
                 "give --reports that many, or another --bench-db")
    return have


def count_reports(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM report")
        found = cur.fetchone()[0]
    conn.close()
    return found


# ------------------------------------------------------------------------------------------- server

def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn as production runs it, on a free loopback port, on the given database."""

    def __init__(self, database_url):
        self.port = free_port()
        self.command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "bench.run:bench_app()", "--workers", str(WORKERS),
                        "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "--log-level", "warning"]
        self.process = subprocess.Popen(self.command, cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url})
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited with {self.process.returncode}")
            try:
                if self.get("/bench/bare")[0] == 200 and len(self.workers()) == WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit("gunicorn did not answer within 90 s")

    def get(self, path, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body, response

    def workers(self):
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ------------------------------------------------------------------------------------------- cases

class Case:
    """A hot path: the requests wrk goes round, and what its floor is."""

    def __init__(self, name, lines, goal=None, floor="sql", capture_urls=(), cookie=None, expect=200, warm=False):
        self.name, self.lines, self.goal, self.floor, self.expect = name, lines, goal, floor, expect
        self.capture_urls, self.cookie = list(capture_urls), cookie
        self.warm = warm  # each of its URLs asked once before the rounds: what is kept, measured kept
        self.statements = []  # for the SQL floor: each request's [(statement, parameters)]
        self.writes = name in WRITES  # its floor makes reports (replay_submission)
        self.capture_forms = []  # for a submission's floor: the bodies POSTed to capture its statements


def get_lines(urls, cookie=""):
    return [f"GET\t{url}\t{cookie}\t" for url in urls]


def login_cookie(server):
    """A signed-in staff session against the running server: the session cookie's header value."""
    status, body, response = server.get("/login")
    cookie = session_cookie(response)
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1).decode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("POST", "/login", body=urlencode({"csrf_token": token, "email": STAFF_EMAIL,
                                                         "password": STAFF_PASSWORD}),
                       headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 302:
        sys.exit(f"signing the benchmark's staff account in: {response.status}")
    return session_cookie(response)


def session_cookie(response):
    cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(c for c in cookies if c.startswith("session="))


def form_sessions(server, count):
    """`count` (cookie, csrf token) pairs, each from the report form as a browser would get it."""
    found = []
    for _ in range(count):
        status, body, response = server.get("/reports/new")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1).decode()
        found.append((session_cookie(response), token))
    return found


def staff_user(app):
    """The benchmark's staff account in DOT Brooklyn (made once, its password set each run)."""
    from seeclick.accounts import services as accounts
    from seeclick.accounts.models import Role, User
    from seeclick.departments.models import Department
    from seeclick.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == STAFF_EMAIL))
        if user is None:
            department = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
            accounts.create_user(STAFF_EMAIL, STAFF_PASSWORD, Role.STAFF, department, "Benchmark staff")
        else:
            user.set_password(STAFF_PASSWORD)
        db.session.commit()


def build_cases(app, server, args, rng):
    from bench.submission import submissions
    from seeclick.categories.models import Category
    from seeclick.demo.generate import load_taxlots
    from seeclick.extensions import db
    from seeclick.publicmap import tiles

    points = [tuple(map(float, p)) for p in load_taxlots()]
    sample = [points[rng.randrange(len(points))] for _ in range(args.urls)]
    with app.app_context():
        everywhere = db.session.scalars(select(Category).where(
            Category.active, Category.fallback_department_id.is_not(None))).all()
        codes = db.session.scalars(text("SELECT code FROM neighbourhood ORDER BY code")).all()
        public_ids = db.session.scalars(text(
            "SELECT public_id FROM report TABLESAMPLE SYSTEM (1) WHERE hidden_at IS NULL LIMIT :n"),
            {"n": args.urls}).all()
        services = [c.code for c in everywhere]
        category = everywhere[0].id
        db.session.rollback()
    cases = []

    def gets(name, urls, goal=None, cookie="", warm=False):
        cases.append(Case(name, get_lines(urls, cookie), goal, "sql", urls[:args.captures], cookie, warm=warm))

    web_form = Case("submission, web form", submission_lines(app, server, args, rng), SUBMIT_GOAL, expect=303)
    web_form.capture_forms = submissions(app, 2 * args.captures, 0.3, rng)[0]
    cases.append(web_form)
    cases.append(Case("submission, Open311 POST", [], SUBMIT_GOAL))  # lines made with the run's API key
    gets("routing (/reports/place)", [f"/reports/place?lat={lat:.6f}&lon={lon:.6f}" for lon, lat in sample])
    for zoom, label in ((10, "city"), (12, "borough"), (14, "neighbourhood"), (17, "street")):
        urls = []
        for lon, lat in sample:
            x, y = tiles.cell_of(lon, lat, zoom)
            urls.append(f"/map/tiles/{zoom}/{x}/{y}.pbf")
        gets(f"map tiles z{zoom} ({label})", list(dict.fromkeys(urls)), p95_under(50))
    gets("/map", ["/map", "/map?status=all", "/map?category=pothole&department=dot-bk&status=all"], p95_under(100))
    gets("/stats", ["/stats"], p95_under(100))
    # As they first are, each drawn once for every worker; then as they are asked for while still kept (the
    # statements captured for its floor are a kept page's, as the first case drew them in this process).
    neighbourhoods = [f"/neighbourhoods/{rng.choice(codes)}" for _ in range(args.urls)]
    gets("neighbourhood page", neighbourhoods, p95_under(100))
    gets("neighbourhood page, each drawn already", neighbourhoods, p95_under(100), warm=True)
    gets("report page", [f"/reports/{public_id}" for public_id in public_ids], p95_under(100))
    # A citizen's first page: from the menu, from the public map at a point, from a neighbourhood's page.
    gets("report form", [("/reports/new", f"/reports/new?lat={lat:.6f}&lon={lon:.6f}",
                          f"/reports/new?neighbourhood={codes[i % len(codes)]}")[i % 3]
                         for i, (lon, lat) in enumerate(sample)], p95_under(100))
    gets("home page", ["/"], p95_under(100))
    gets("staff queue (signed in)", [f"/staff/queue?page={1 + i % 5}" for i in range(10)]
         + ["/staff/queue?sort=due", "/staff/queue?overdue=1"], cookie=login_cookie(server))
    gets("Open311 GET, page of 50", [f"/open311/v2/requests.json?page_size=50&page={1 + i}" for i in range(20)],
         p95_under(50))
    gets("Open311 GET, page of 1000", [f"/open311/v2/requests.json?page_size=1000&page={1 + i}" for i in range(5)],
         p95_under(50))
    gets("Open311 GET, by place (500 m)",
         [f"/open311/v2/requests.json?lat={lat:.5f}&long={lon:.5f}&radius=500" for lon, lat in sample],
         p95_under(50))
    gets("Open311 GET, by service", [f"/open311/v2/requests.json?service_code={code}" for code in services],
         p95_under(50))
    gets("nearby duplicates (/reports/place)",
         [f"/reports/place?lat={lat:.6f}&lon={lon:.6f}&category={category}" for lon, lat in sample])
    return cases


def submission_lines(app, server, args, rng):
    """Web form POSTs: each body with a session's cookie and that session's form token."""
    from bench.submission import submissions

    bodies, _skipped, _categories = submissions(app, args.urls, 0.3, rng)
    sessions = form_sessions(server, args.connections * 2)
    lines = []
    for i, body in enumerate(bodies):
        cookie, token = sessions[i % len(sessions)]
        lines.append(f"POST\t/reports/new\t{cookie}\t{body}&{urlencode({'csrf_token': token})}")
    return lines


def open311_lines(app, key, args, rng):
    from bench.open311 import post_bodies

    bodies, _skipped, _categories = post_bodies(app, key, args.urls + 2 * args.captures, 0.3, rng)
    # The Open311 form has no submission_key: each body is already a new request.
    return [f"POST\t{OPEN311_POST}\t\t{body}" for body in bodies[:args.urls]], bodies[args.urls:]


# ------------------------------------------------------------------------------------------- driving

def check(server, lines, expect):
    """The first request of a case, asked once: what it answers must be what is measured (wrk counts 4xx and 5xx
    as errors, but a form shown again with a 200 would pass unnoticed)."""
    method, path, cookie, body = (lines[0].split("\t", 3) + ["", ""])[:4]
    if method == "POST":  # the one a check makes must not repeat a submission_key the load will send
        body = re.sub(r"(submission_key=[^&]*)", r"\1-check", body)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    if response.status != expect:
        sys.exit(f"{method} {path}: {response.status} {content[:300]!r}")


WRK_RUNS = (f"{os.getpid()}.{n}" for n in itertools.count())


def wrk(server, lines, seconds, connections, expect=200):
    """One wrk run over the lines for `seconds`: its BENCH-JSON summary."""
    path = RESULTS / f".requests-{os.getpid()}.txt"
    path.write_text("\n".join(lines) + "\n")
    try:
        out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
                              "-s", str(LUA), f"http://127.0.0.1:{server.port}"],
                             env={**os.environ, "BENCH_REQUESTS": str(path), "BENCH_RUN": next(WRK_RUNS)},
                             capture_output=True, text=True)
    finally:
        path.unlink(missing_ok=True)
    if out.returncode or "BENCH-JSON " not in out.stdout:
        sys.exit(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    out = out.stdout
    found = json.loads(out.split("BENCH-JSON ", 1)[1].splitlines()[0])
    # An error: no answer, or any answer but the one the case expects (a form shown again is a 200).
    found["errors"] = sum(found[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")) + sum(
        n for status, n in found["statuses"].items() if int(status) != expect)
    return found


def sql_floor(database_url, statements, seconds, connections, writes=False):
    """The captured requests' statements replayed from `connections` threads for `seconds`: like wrk's summary.

    `writes`: each is a submission, sent again as a new report (replay_submission) and committed; the reports
    made are deleted once the round is timed.
    """
    latencies, made, lock = [], [], threading.Lock()
    stop_at = time.perf_counter() + seconds

    def replay(offset):
        conn = psycopg2.connect(database_url)
        cur = conn.cursor()
        mine, ids, i = [], [], offset
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            if writes:
                ids.append(replay_submission(cur, statements[i % len(statements)]))
                conn.commit()
            else:
                for statement, parameters in statements[i % len(statements)]:
                    cur.execute(statement, parameters)
                    if cur.description:
                        cur.fetchall()
                conn.rollback()
            mine.append(time.perf_counter() - started)
            i += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            made.extend(ids)

    started = time.perf_counter()
    threads = [threading.Thread(target=replay, args=(i * 7919,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    if made:
        delete_made(database_url, made)
    ordered = sorted(latencies)

    def at(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    return {"requests": len(ordered), "seconds": took, "errors": 0, "p50": at(0.5), "p95": at(0.95),
            "p99": at(0.99), "max": ordered[-1] * 1e3}


def replay_submission(cur, statements):
    """One submission's captured statements sent again as a new report: its own submission key and follower
    token, and the id its INSERT returns wherever a later statement names the captured report (the receipt's
    follower, email and job). The new report's id."""
    captured = next((p["report_id"] for _s, p in statements if isinstance(p, dict) and "report_id" in p), None)
    made = None
    for statement, parameters in statements:
        if isinstance(parameters, dict):
            parameters = dict(parameters)
            if parameters.get("submission_key"):
                parameters["submission_key"] = f"{FLOOR_KEY}{secrets.token_hex(8)}"
            if "token" in parameters:
                parameters["token"] = secrets.token_urlsafe(24)
            if made is not None and captured is not None:
                for name, value in parameters.items():
                    if value == captured:
                        parameters[name] = made
                    elif isinstance(value, str) and f":{captured}" in value:  # the receipt's event key
                        parameters[name] = value.replace(f":{captured}", f":{made}")
        cur.execute(statement, parameters)
        rows = cur.fetchall() if cur.description else None
        if statement.lstrip().startswith("WITH made AS") and rows:
            made = rows[0][0]
    if made is None:
        sys.exit("the SQL floor of a submission made no report: its INSERT was not among the statements captured")
    return made


def delete_made(database_url, ids):
    """The reports an SQL floor made, with the jobs queued for their emails (which name them by id only)."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'send_notification' AND status = 'todo' "
                    "AND (args->>'notification_id')::bigint IN (SELECT id FROM notification WHERE report_id = "
                    "ANY(%s))", (ids,))
        cur.execute("DELETE FROM report WHERE id = ANY(%s)", (ids,))
    conn.close()


def summarise(rounds):
    """One figure a percentile (the median of the rounds'), and req/s over all of them."""
    if not rounds:
        return None
    total = sum(r["requests"] for r in rounds)
    return {"rate": total / sum(r["seconds"] for r in rounds), "requests": total,
            "errors": sum(r["errors"] for r in rounds),
            "statuses": dict(sum((Counter(r.get("statuses", {})) for r in rounds), Counter())),
            **{q: statistics.median(r[q] for r in rounds) for q in ("p50", "p95", "p99")}, "rounds": rounds}


def capture_statements(app, case):
    """Each capture URL's statements, sent through the test client (signed in for a case with a cookie); for a
    submission, those of each new report made from the second half of its bodies, the first half made before
    to warm the process as a server's workers are (the categories' versions read, the forms' catalogues)."""
    from seeclick.extensions import db

    client = app.test_client()
    if case.cookie:
        sign_in(client)
    with app.app_context():
        engine = db.engine
    for url in case.capture_urls:
        _response, sent = capture(engine, client, url)
        case.statements.append(sent)
    path = OPEN311_POST if "Open311" in case.name else "/reports/new"
    token = ""
    if case.capture_forms and path == "/reports/new":  # the form token of the test client's session
        page = client.get(path).data
        token = "&" + urlencode({"csrf_token": re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"',
                                                         page).group(1).decode()})
    warm = len(case.capture_forms) // 2
    for i, form in enumerate(case.capture_forms):
        _response, sent = capture(engine, client, path, form + token, case.expect)
        if i >= warm:
            case.statements.append(sent)


def sign_in(client):
    page = client.get("/login").data
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
    response = client.post("/login", data={"csrf_token": token, "email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    if response.status_code != 302:
        sys.exit(f"signing the test client in: {response.status_code}")


def run_topology(args, topology, database_url, bench_url, reports):
    """Every case against app servers on `database_url`: {case name: figures}, the bare route's, the export's.

    Reusable for each topology of a run; what the submissions made is deleted even when a case fails.
    """
    from bench.open311 import api_key
    from seeclick.extensions import db

    os.environ["DATABASE_URL"] = database_url
    app = bench_app()
    staff_user(app)
    fold_as_the_worker_does(app)  # before the servers start: what they draw first is of the latest fold
    rng = random.Random(args.seed)
    server = Server(database_url)
    results = {"topology": topology, "database_url": make_url(database_url).render_as_string(hide_password=True),
               "cases": {}, "server": " ".join(["gunicorn", *server.command[1:]])}
    outcome = {}
    try:
        cases = build_cases(app, server, args, rng)
        cases = [c for c in cases if not args.only or any(o in c.name for o in args.only)]
        for case in cases:
            if case.floor == "sql" and case.name != "submission, Open311 POST":  # that one needs the run's key
                capture_statements(app, case)
        with app.app_context():
            db.session.remove()
        with api_key(app, outcome) as key:
            for case in cases:
                if case.name == "submission, Open311 POST":
                    case.lines, case.capture_forms = open311_lines(app, key, args, rng)
                    capture_statements(app, case)
            measure(args, server, database_url, cases, results,
                    after_writes=lambda: fold_as_the_worker_does(app, statistics=False))
        if not args.only or any(o in "CSV export" for o in args.only):
            results["export"] = export(server, bench_url, database_url)
            print(export_line(results["export"]), flush=True)
    finally:
        server.stop()
        deleted = clean_submissions(app)
        fold_as_the_worker_does(app)
        results["made"] = {"web form": deleted["reports"],
                           "Open311": outcome["made"][0] if "made" in outcome else 0}
        results["deleted"] = {**deleted, "open311": list(outcome.get("deleted", ()))}
    for name, made in results["made"].items():
        case = results["cases"].get(f"submission, {'Open311 POST' if name == 'Open311' else name}")
        if case:
            answered = case["service"]["requests"]
            short = " (FEWER reports than answers: some submissions were not new reports)" if made < answered else ""
            print(f"{name}: {answered:,} submissions answered, {made:,} reports made (and deleted; the first check, "
                  f"the floor's captures and requests still in flight when a round ended make a few more){short}",
                  flush=True)
    return results


def measure(args, server, database_url, cases, results, after_writes=None):
    """Each case in rounds, service and floor alternating (who goes first alternates too); after_writes()
    once the cases that make reports are done, before those that read them."""
    round_seconds = max(1, round(args.seconds / args.rounds))
    bare = []
    for previous, case in zip([None, *cases], cases, strict=False):
        if after_writes and previous is not None and previous.name in WRITES and case.name not in WRITES:
            after_writes()
        check(server, case.lines, case.expect)
        service, floor = [], []
        for r in range(args.rounds):
            for which in (("service", "floor") if r % 2 == 0 else ("floor", "service")):
                if which == "service":
                    if case.warm:  # before each round: a page kept 30 s may have gone since the last
                        for line in dict.fromkeys(case.lines):
                            server.get(line.split("\t")[1])
                    service.append(wrk(server, case.lines, round_seconds, args.connections, case.expect))
                elif case.floor == "sql":
                    floor.append(sql_floor(database_url, case.statements, round_seconds, args.connections,
                                           case.writes))
                else:
                    floor.append(wrk(server, get_lines(["/bench/bare"]), round_seconds, args.connections))
                    bare.append(floor[-1])
        figures = {"service": summarise(service), "floor": summarise(floor), "floor_kind": case.floor}
        figures["ratio"] = figures["service"]["p50"] / figures["floor"]["p50"]
        if case.goal:
            figures["goal"], figures["met"] = case.goal[0], bool(case.goal[1](figures["service"]))
        results["cases"][case.name] = figures
        print(row(case.name, figures), flush=True)
    if not bare:
        bare = [wrk(server, get_lines(["/bench/bare"]), round_seconds, args.connections)]
    results["bare"] = summarise(bare)


def fold_as_the_worker_does(app, statistics=True):
    """What the job worker does every minute: the report changes since its last fold moved into the map's
    counts and (`statistics`) the statistics. A run's submissions, and their deletion at its end, leave
    thousands of them; left unfolded (no worker runs here), the home page and /map would be measured
    summing changes a worker never lets pile up (30,000 after a few runs: 7 ms a home page).

    Between cases only the map's counts are folded: the statistics pages read what was folded, never the
    changes, and a fold there would have each worker draw the dashboard again inside a 12 s case (as it
    does once a minute in service), a tail five times as large as a minute's."""
    from seeclick.extensions import db
    from seeclick.publicmap import queries as map_counts
    from seeclick.stats import services as stats

    with app.app_context():
        map_counts.fold()
        db.session.commit()
        if statistics:
            db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            stats.fold()
            db.session.commit()
        db.session.remove()


def clean_submissions(app):
    from bench.submission import clean_up

    reports, jobs, taken = clean_up(app)
    return {"reports": reports, "jobs": jobs, "jobs_taken": taken}


# ------------------------------------------------------------------------------------------- export

class PeakRss(threading.Thread):
    """The largest resident size of any of the processes, sampled every 20 ms until stopped."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.running = pids, 0, True
        self.before = max(self.sizes(), default=0)  # the largest worker before: the app itself, no export yet

    def sizes(self):
        for pid in self.pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            yield int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024

    def run(self):
        while self.running:
            self.peak = max(self.peak, *self.sizes(), 0)
            time.sleep(0.02)


def export_since(bench_url, rows):
    """The first day from which the export has about `rows` rows (the whole table when it has fewer)."""
    with psycopg2.connect(bench_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT created_at::date FROM report ORDER BY created_at DESC OFFSET %s LIMIT 1", (rows,))
        found = cur.fetchone()
    conn.close()
    return found[0] if found else None


def export(server, bench_url, database_url):
    """The CSV export of about a million rows through gunicorn, beside COPY of the same query."""
    since = export_since(bench_url, EXPORT_ROWS)
    path = "/export/reports.csv" + (f"?since={since.isoformat()}" if since else "")
    target = RESULTS / f".export-{os.getpid()}.csv"
    rss = PeakRss(server.workers())
    rss.start()
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    connection.request("GET", path)
    response = connection.getresponse()
    size = 0
    with target.open("wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
            size += len(chunk)
    took = time.perf_counter() - started
    connection.close()
    rss.running = False
    rss.join()
    with target.open(newline="", encoding="utf-8", errors="replace") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
    target.unlink()
    statement = export_statement(since)
    copy_rows, copy_seconds = copy_floor(database_url, statement)
    return {"path": path, "status": response.status, "seconds": took, "bytes": size, "rows": rows,
            "rows_per_s": rows / took, "worker_peak_rss": rss.peak, "worker_rss_before": rss.before,
            "copy_rows": copy_rows,
            "copy_seconds": copy_seconds, "ratio": took / copy_seconds, "complete": rows == copy_rows,
            "goal": "complete, < 200 MB, within 2x of COPY",
            "met": rows == copy_rows and rss.peak < 200 * 2**20 and took / copy_seconds <= 2}


SENTINEL = date(2999, 1, 1)  # a `since` no report has: the export's statement is seen without its rows


def export_statement(since):
    """The export's own SELECT with its parameters bound, from `since` (None: every report).

    Captured through the test client on a day after every report (an export of nothing, quick), then
    the same statement bound with the real day: COPY of it is the floor.
    """
    from seeclick.extensions import db

    app = bench_app()
    with app.app_context():
        engine = db.engine
    sent = []

    def before(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        app.test_client().get(f"/export/reports.csv?since={SENTINEL.isoformat()}")
    except Exception as error:  # noqa: BLE001 -- only its statement is wanted here; the download is measured apart
        print(f"(the export through the test client failed after its statement: {error.__class__.__name__})")
    finally:
        event.remove(engine, "before_cursor_execute", before)
    statement, parameters = max(sent, key=lambda s: len(s[0]))
    parameters = dict(parameters)
    for name, value in list(parameters.items()):
        if isinstance(value, datetime) and value.date() == SENTINEL:
            if since is None:  # every report: the filter on the day becomes one that keeps them all
                parameters[name] = datetime(1, 1, 1, tzinfo=value.tzinfo)
            else:
                parameters[name] = value.replace(year=since.year, month=since.month, day=since.day)
    raw = engine.raw_connection()
    try:
        return raw.cursor().mogrify(statement, parameters).decode()
    finally:
        raw.close()


class Counting:
    """A file for copy_expert that keeps only how much went through it, and how many lines."""

    def __init__(self):
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)


def copy_floor(database_url, statement):
    """COPY (the statement) TO STDOUT in CSV: its rows and seconds."""
    query = statement.strip().rstrip(";")
    if not query.upper().startswith("COPY"):
        query = f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"
    conn = psycopg2.connect(database_url)
    with conn.cursor() as cur:
        sink = Counting()
        started = time.perf_counter()
        cur.copy_expert(query, sink)
        took = time.perf_counter() - started
        rows = cur.rowcount
    conn.rollback()
    conn.close()
    return rows, took


# ------------------------------------------------------------------------------------------- table

HEADER = (f"{'case':<36} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}  {'floor':<5} {'req/s':>7} {'p50':>7} "
          f"{'p95':>7}  {'ratio':>5}  goal")


def row(name, figures):
    s, f = figures["service"], figures["floor"]
    goal = figures.get("goal")
    verdict = f"{goal}: {'met' if figures['met'] else 'NOT MET'}" if goal else ""
    within = "" if figures["ratio"] <= 3 else " (over 3x its floor)"
    errors = f" [{s['errors']:,} errors: statuses {s['statuses']}]" if s["errors"] else ""
    return (f"{name:<36} {s['rate']:7,.0f} {s['p50']:7.1f} {s['p95']:7.1f} {s['p99']:7.1f}  {figures['floor_kind']:<5} "
            f"{f['rate']:7,.0f} {f['p50']:7.1f} {f['p95']:7.1f}  {figures['ratio']:5.1f}  {verdict}{within}{errors}")


def export_line(e):
    return (f"CSV export {e['path']}: {e['rows']:,} rows in {e['seconds']:.1f} s ({e['rows_per_s']:,.0f} rows/s, "
            f"HTTP {e['status']}, {e['bytes'] / 2**20:,.0f} MB), "
            f"worker peak RSS {e['worker_peak_rss'] / 2**20:,.0f} MB "
            f"(the largest worker before it: {e.get('worker_rss_before', 0) / 2**20:,.0f} MB); "
            f"COPY of the same query {e['copy_rows']:,} rows in {e['copy_seconds']:.1f} s: ratio {e['ratio']:.1f}; "
            f"{'complete' if e['complete'] else 'INCOMPLETE'}; goal {e['goal']}: {'met' if e['met'] else 'NOT MET'}")


def markdown(run):
    """The run as Markdown: its context, then one table with a column group per topology."""
    topologies = run["topologies"]
    names = list(dict.fromkeys(name for t in topologies for name in t["cases"]))
    lines = [f"# make bench: {run['reports']:,} reports", "",
             f"{run['date']}, commit {run['commit']}, {run['cores']} cores, {run['reports']:,} reports, "
             f"{run['seconds']} s a case in {run['rounds']} rounds, {run['connections']} connections; "
             f"servers: `{topologies[0]['server']}`; topology: "
             + ", ".join(t["topology"] for t in topologies) + ".", "",
             "Latencies in ms; floor: `sql` the same statements through psycopg2, `bare` a bare Flask route under "
             "the same gunicorn; ratio: service p50 / floor p50.", ""]
    head = "| case |" + "".join(f" {t['topology']}: req/s | p50 | p95 | p99 | floor | floor p50 | floor p95 | ratio |"
                                 for t in topologies) + " goal |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for name in names:
        cells, goal = [], ""
        for t in topologies:
            f = t["cases"].get(name)
            if f is None:
                cells.append(" | | | | | | | |")
                continue
            s, fl = f["service"], f["floor"]
            cells.append(f" {s['rate']:,.0f} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} | {f['floor_kind']} | "
                         f"{fl['p50']:.1f} | {fl['p95']:.1f} | {f['ratio']:.1f} |")
            if f.get("goal"):
                goal += f" {t['topology']}: {f['goal']} {'met' if f['met'] else '**not met**'};"
        lines.append(f"| {name} |" + "".join(cells) + goal.rstrip(";") + " |")
    lines.append("")
    for t in topologies:
        bare = t.get("bare")
        if bare:
            lines.append(f"- {t['topology']}: bare Flask route {bare['rate']:,.0f} req/s, p50 {bare['p50']:.1f} ms, "
                         f"p95 {bare['p95']:.1f} ms, p99 {bare['p99']:.1f} ms")
        if t.get("export"):
            lines.append(f"- {t['topology']}: {export_line(t['export'])}")
    lines.append("")
    return "\n".join(lines)


def growth(run, earlier):
    """Each case's p95 in this run over its p95 in an earlier run at another size (same topology): Markdown lines.

    The goal of issue 17: no hot path's p95 more than 1.5x worse at 5M reports than at 1M.
    """
    lines = [f"## p95 at {run['reports']:,} reports over p95 at {earlier['reports']:,} ({earlier['date']}, "
             f"commit {earlier['commit']})", "", "| topology | case | p95 then | p95 now | growth | ≤ 1.5x |",
             "|---|---|---|---|---|---|"]
    before = {t["topology"]: t for t in earlier["topologies"]}
    for t in run["topologies"]:
        for name, figures in t["cases"].items():
            then = before.get(t["topology"], {}).get("cases", {}).get(name)
            if then:
                ratio = figures["service"]["p95"] / then["service"]["p95"]
                verdict = "met" if ratio <= 1.5 else "**not met**"
                lines.append(f"| {t['topology']} | {name} | {then['service']['p95']:.1f} | "
                             f"{figures['service']['p95']:.1f} | {ratio:.2f} | {verdict} |")
    return "\n".join(lines) + "\n"


def commit():
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return found.stdout.strip() + ("+changes" if dirty else "")


def pooled(bench_url):
    """The benchmark database through the project-local PgBouncer in transaction mode (started if need be)."""
    from seeclick import devpgbouncer

    if make_url(bench_url).port != devpgbouncer.DEFAULT.cluster.settings()["port"]:
        sys.exit("--pooler: the local PgBouncer pools the local cluster only; give --also pooler=URL instead")
    devpgbouncer.DEFAULT.start()
    return devpgbouncer.DEFAULT.url(make_url(bench_url).database)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5_000_000, help="reports in the benchmark database")
    parser.add_argument("--seconds", type=int, default=10, help="seconds a case, service and floor each")
    parser.add_argument("--rounds", type=int, default=2, help="rounds a case, service and floor alternating")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--bench-db", help="the benchmark database (default: seeclick_bench_<N> in the local cluster)")
    parser.add_argument("--database-url", help="what the app servers connect to (default: the benchmark database)")
    parser.add_argument("--topology", default="direct", help="the name of that topology in the table")
    parser.add_argument("--also", action="append", default=[], metavar="NAME=URL",
                        help="then the same cases with the servers on URL, shown as NAME beside the first")
    parser.add_argument("--pooler", action="store_true",
                        help="then the same cases with the servers (and the SQL floor) through the local PgBouncer")
    parser.add_argument("--urls", type=int, default=400, help="different requests a case goes round")
    parser.add_argument("--captures", type=int, default=50, help="of those, how many the SQL floor replays")
    parser.add_argument("--only", action="append", help="only the cases whose name contains this (repeatable)")
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument("--compare", type=Path, metavar="JSON",
                        help="an earlier run's bench/results/*.json at another size: each p95's growth since")
    args = parser.parse_args()
    earlier = json.loads(args.compare.read_text()) if args.compare else None
    if any("=" not in also for also in args.also):
        parser.error("--also takes NAME=URL, e.g. pooler=postgresql://...@127.0.0.1:6432/seeclick_bench")
    for name in ("reports", "seconds", "rounds", "connections", "urls", "captures"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode:
        sys.exit("wrk is not installed: make system (apt-get install wrk)")
    bench_url = args.bench_db or local_url(f"seeclick_bench_{args.reports}")
    reports = prepare_database(bench_url, args.reports)
    RESULTS.mkdir(exist_ok=True)
    run = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit(), "cores": os.cpu_count(),
           "reports": reports, "seconds": args.seconds, "rounds": args.rounds, "connections": args.connections,
           "throttles": "RATELIMIT_ENABLED=False (bench_app())", "topologies": []}
    print(f"{reports:,} reports, {os.cpu_count()} cores; gunicorn --workers {WORKERS} (gunicorn.conf.py) on "
          f"create_app() with RATELIMIT_ENABLED=False; wrk -t 2 -c {args.connections}, {args.seconds} s a case in "
          f"{args.rounds} rounds alternating with the floor; latencies in ms; ratio = service p50 / floor p50")
    topologies = [(args.topology, args.database_url or bench_url)] + [tuple(a.split("=", 1)) for a in args.also]
    if args.pooler:
        topologies.append(("pooler", pooled(bench_url)))
    for name, url in topologies:
        print(f"topology {name}: servers on {make_url(url).render_as_string(hide_password=True)}")
        print(HEADER, flush=True)
        run["topologies"].append(run_topology(args, name, url, bench_url, reports))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    base = RESULTS / f"{stamp}-{reports}"
    base.with_suffix(".json").write_text(json.dumps(run, indent=1, default=str) + "\n")
    table = markdown(run) + ("\n" + growth(run, earlier) if earlier else "")
    base.with_suffix(".md").write_text(table)
    print()
    print(table)
    print(f"saved {base}.json and {base}.md")


if __name__ == "__main__":
    main()
