"""Report submissions a second through the full stack under gunicorn, beside a bare Flask route, in one run.

    .venv/bin/python bench/submission.py [--reports 3000] [--clients 4] [--worker-class sync|gthread]
    .venv/bin/python bench/submission.py --profile 1000    # where one process spends its time, every statement

Starts gunicorn (2 workers by default, one per core) on bench_app(), the application from
create_app() with two overrides: RATELIMIT_ENABLED=False and WTF_CSRF_ENABLED=False, because
this measures the work of a submission, not the per-address throttle or the form token. It
adds one route, /bench/bare, answering "ok": the floor, through the same Flask app, gunicorn
and HTTP client. Each submission is a form POST to /reports/new with step=send at a real
tax-lot point, in a category served everywhere, with every question answered and an email on a
share of them (so the reporter's follower, the first email and its job are written too); it
must answer 303. The load comes from --clients processes with one HTTP/1.1 connection each
(sync workers close it after every response; gthread keeps it), on the same 2 cores as the
server: the CPU each side used is printed, and what anything else on the machine used. The
reports made (submission_key "bench-..."), with their followers and emails, and the jobs queued
for those emails are deleted at the end, so the database is left as it was (sequences move on).
Goal: >= 400 submissions/s, p95 < 50 ms.
"""

import argparse
import cProfile
import http.client
import io
import multiprocessing
import os
import pstats
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg2.extensions  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from bench.common import percentile  # noqa: E402
from seeclick import create_app  # noqa: E402
from seeclick.categories.models import Category, Datatype  # noqa: E402
from seeclick.demo.generate import load_taxlots  # noqa: E402
from seeclick.extensions import db  # noqa: E402
from seeclick.geo import LatLon  # noqa: E402
from seeclick.routing import RoutingError, route  # noqa: E402

OVERRIDES = {"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}
KEY_PREFIX = "bench-"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

MADE = text("""
    SELECT count(DISTINCT r.id), count(DISTINCT n.id),
           (SELECT count(*) FROM procrastinate_jobs j
            WHERE j.task_name = 'send_notification'
              AND (j.args->>'notification_id')::bigint IN (SELECT n2.id FROM notification n2
                                                           JOIN report r2 ON r2.id = n2.report_id
                                                           WHERE r2.submission_key LIKE :prefix))
    FROM report r LEFT JOIN notification n ON n.report_id = r.id
    WHERE r.submission_key LIKE :prefix
""")
# Jobs first (they refer to the emails by id only); deleting a report cascades to its followers and emails.
DELETE_JOBS = text("""
    DELETE FROM procrastinate_jobs
    WHERE task_name = 'send_notification' AND status = 'todo'
      AND (args->>'notification_id')::bigint IN (SELECT n.id FROM notification n JOIN report r ON r.id = n.report_id
                                                 WHERE r.submission_key LIKE :prefix)
""")
DELETE_REPORTS = text("DELETE FROM report WHERE submission_key LIKE :prefix")


def bench_app():
    """The application gunicorn serves here: no throttle, no form token, and a bare route as the floor."""
    app = create_app(OVERRIDES)
    app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")
    return app


def answer(question, rng):
    """A valid answer to a category question, whatever its datatype."""
    keys = [v["key"] for v in question.values]
    return {
        Datatype.SINGLEVALUELIST: lambda: [rng.choice(keys)],
        Datatype.MULTIVALUELIST: lambda: rng.sample(keys, k=min(2, len(keys))),
        Datatype.NUMBER: lambda: [str(rng.randint(1, 20))],
        Datatype.DATETIME: lambda: [datetime.now(UTC).replace(microsecond=0).isoformat()],
    }.get(question.datatype, lambda: [f"{rng.randint(1, 40)}{rng.choice('ABCD')}"])()


def submissions(app, count, email_share, rng):
    """Form bodies for `count` new reports at real tax-lot points that route, and how many were skipped."""
    points = load_taxlots()
    with app.app_context():
        categories = db.session.scalars(select(Category).where(
            Category.active, Category.fallback_department_id.is_not(None))).all()
        if not categories:
            sys.exit("no categories: load the demo city first (make run, or flask --app wsgi demo load)")
        run = secrets.token_hex(4)
        bodies, skipped = [], 0
        while len(bodies) < count:
            category = rng.choice(categories)
            lon, lat = map(float, points[rng.randrange(len(points))])
            try:
                route(category.id, LatLon(lat, lon))
            except RoutingError:  # a lot outside every service area: a 422, which is not what is measured
                skipped += 1
                continue
            i = len(bodies)
            fields = [("submission_key", f"{KEY_PREFIX}{run}-{i}"), ("step", "send"), ("lat", f"{lat:.6f}"),
                      ("lon", f"{lon:.6f}"), ("category", str(category.id)),
                      ("description", f"Benchmark report {i}: {category.name.lower()} here, please look.")]
            fields += [(f"answer-{q.code}", value) for q in category.questions for value in answer(q, rng)]
            if rng.random() < email_share:
                fields += [("email", f"bench{i}@example.org"), ("name", f"Bench {i}"), ("phone", "+1 212 555 0100")]
            bodies.append(urlencode(fields))
        db.session.rollback()
    return bodies, skipped, len(categories)


def drive(task):
    """One client: its requests in turn on one connection (reopened when the server closes it)."""
    port, path, bodies, expected, start_at = task
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    method, headers = ("POST", FORM) if bodies[0] is not None else ("GET", {})
    latencies, statuses, sample = [], Counter(), None
    while time.perf_counter() < start_at:
        time.sleep(0.001)
    cpu = time.process_time()
    for body in bodies:
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            statuses[response.status] += 1
            if response.status != expected and sample is None:
                sample = f"{response.status}: {content[:300]!r}"
        except (OSError, http.client.HTTPException) as error:
            statuses[type(error).__name__] += 1
            connection.close()
        latencies.append(time.perf_counter() - started)
    return latencies, statuses, sample, time.perf_counter(), time.process_time() - cpu


def cpu_seconds(pids):
    """User plus system CPU seconds used so far, by process."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def used_between(before, after):
    """CPU seconds used between two cpu_seconds() readings (a process that ended in between is left out)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def processes(parent=None, name=None):
    """Pids of the children of `parent`, or of the processes called `name`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm, rest = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if (parent is not None and int(rest.split()[1]) == parent) or (name and comm.endswith(f"({name}")):
            found.append(int(entry.name))
    return found


def busy_seconds():
    """CPU seconds the whole machine spent busy so far (every core, every process)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def phase(pool, clients, port, path, bodies, expected, server_pids):
    """Run the requests through `clients` concurrent connections; rate, latencies, errors, CPU split."""
    start_at = time.perf_counter() + 0.3
    chunks = [(port, path, bodies[i::clients], expected, start_at) for i in range(clients)]
    pending = pool.map_async(drive, chunks, chunksize=1)
    time.sleep(max(0.0, start_at - time.perf_counter()))
    before = cpu_seconds(server_pids), cpu_seconds(processes(name="postgres")), busy_seconds()
    results = pending.get()
    after = cpu_seconds(server_pids), cpu_seconds(processes(name="postgres")), busy_seconds()
    wall = max(r[3] for r in results) - start_at
    measured = time.perf_counter() - start_at  # the CPU counters span this, a little longer than `wall`
    server, postgres, machine = (used * wall / measured for used in (
        used_between(before[0], after[0]), used_between(before[1], after[1]), after[2] - before[2]))
    latencies = [latency for r in results for latency in r[0]]
    statuses = sum((r[1] for r in results), Counter())
    return {
        "rate": len(bodies) / wall, "latencies": latencies, "errors": len(bodies) - statuses[expected],
        "statuses": statuses, "sample": next((r[2] for r in results if r[2]), None),
        "cpu": {"gunicorn": server, "postgres": postgres, "client": sum(r[4] for r in results),
                "machine": machine, "wall": wall},
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(args, port):
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
               "--worker-class", args.worker_class, "--log-level", "warning", "--backlog", "2048"]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    server = subprocess.Popen([*command, "bench.submission:bench_app()"], cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/bench/bare")
            if connection.getresponse().status == 200:
                connection.close()
                workers = processes(parent=server.pid)
                if len(workers) == args.workers:
                    return server, workers
        except OSError:
            pass
        time.sleep(0.2)
    server.send_signal(signal.SIGTERM)
    sys.exit("gunicorn did not answer within 60 s")


def made(app):
    with app.app_context():
        reports, emails, jobs = db.session.execute(MADE, {"prefix": f"{KEY_PREFIX}%"}).one()
        db.session.rollback()
    return reports, emails, jobs


def clean_up(app):
    """Delete what the benchmark made; (reports, jobs) deleted, and jobs left that a worker had taken."""
    with app.app_context():
        prefix = {"prefix": f"{KEY_PREFIX}%"}
        jobs = db.session.execute(DELETE_JOBS, prefix).rowcount
        taken = db.session.execute(MADE, prefix).one()[2]
        reports = db.session.execute(DELETE_REPORTS, prefix).rowcount
        db.session.commit()
    return reports, jobs, taken


def line(name, result):
    latencies = result["latencies"]
    return (f"  {name:<12} {result['rate']:7,.0f} req/s   p50 {statistics.median(latencies) * 1e3:6.1f} ms   "
            f"p95 {percentile(latencies, 0.95) * 1e3:6.1f} ms   p99 {percentile(latencies, 0.99) * 1e3:6.1f} ms   "
            f"errors {result['errors']}")


def cpu_line(result):
    cpu, requests = result["cpu"], len(result["latencies"])
    share = {k: v / cpu["wall"] for k, v in cpu.items() if k != "wall"}
    other = max(0.0, share["machine"] - share["gunicorn"] - share["postgres"] - share["client"])
    return (f"               cores busy: gunicorn {share['gunicorn']:.2f}, postgres {share['postgres']:.2f}, "
            f"client {share['client']:.2f}, anything else {other:.2f} (machine {share['machine']:.2f} of "
            f"{os.cpu_count()}); CPU a request: gunicorn {cpu['gunicorn'] / requests * 1e3:.2f} ms, "
            f"postgres {cpu['postgres'] / requests * 1e3:.2f} ms")


def print_rounds(results, rounds):
    """Each round of each phase with its CPU, then the best round of each; returns the best rounds."""
    for r in range(rounds):
        for name, runs in results.items():
            result = runs[r]
            print(line(f"{name} {r + 1}", result))
            print(cpu_line(result))
            if result["errors"]:
                print(f"               statuses {dict(result['statuses'])}; first unexpected {result['sample']}")
    best = {name: max(runs, key=lambda run: run["rate"]) for name, runs in results.items()}
    print("best round:")
    for name, result in best.items():
        print(line(name, result))
    return best


def statement_name(sql):
    """A statement as its verb, its tables and the first column it filters on: enough to tell them apart."""
    words = sql.replace("(", " ").replace(")", " ").replace(",", " ").split()
    upper = [w.upper() for w in words]
    tables = list(dict.fromkeys(words[i + 1] for i, w in enumerate(upper[:-1])
                                if w in ("FROM", "JOIN", "INTO", "UPDATE") and upper[i + 1] != "SELECT"))
    where = next((words[i + 1] for i, w in enumerate(upper[:-1]) if w == "WHERE" and upper[i - 1] != "FILTER"), "")
    if not tables:  # SELECT 1 (the pool's pre-ping), BEGIN, ...
        return " ".join(words[:4])
    return f"{upper[0] if upper else '?'} {' '.join(tables)}" + (f" WHERE {where}" if where else "")


class TimedCursor(psycopg2.extensions.cursor):
    """Counts and times every statement sent, through SQLAlchemy or on the raw cursor (seeclick.dbapi) alike."""

    timings: dict | None = None  # statement name -> [count, seconds], while a profile measures

    def execute(self, query, vars=None):
        if TimedCursor.timings is None:
            return super().execute(query, vars)
        started = time.perf_counter()
        try:
            return super().execute(query, vars)
        finally:
            entry = TimedCursor.timings.setdefault(statement_name(query), [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started


class TimedConnection(psycopg2.extensions.connection):
    """A connection whose cursors are TimedCursors, and whose COMMIT is timed too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cursor_factory = TimedCursor

    def commit(self):
        if TimedCursor.timings is None:
            return super().commit()
        started = time.perf_counter()
        try:
            return super().commit()
        finally:
            entry = TimedCursor.timings.setdefault("COMMIT", [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started


def profiled_app():
    """bench_app()'s settings on connections that time every statement (profiles only)."""
    from config import Config

    options = dict(Config.SQLALCHEMY_ENGINE_OPTIONS)
    options["connect_args"] = {**options.get("connect_args", {}), "connection_factory": TimedConnection}
    return create_app({**OVERRIDES, "SQLALCHEMY_ENGINE_OPTIONS": options})


def print_statements(timings, count, what):
    """The statements a request sent, by kind: how many, how long each from sending to its rows back."""
    in_sql = sum(seconds for _, seconds in timings.values())
    print(f"  SQL, every statement on the connection (sent to its rows back, the implicit BEGIN within the "
          f"first): {in_sql / count * 1e3:.2f} ms a {what} in {sum(n for n, _ in timings.values()) / count:.1f} "
          "statements; the rest is Python")
    for name, (n, seconds) in sorted(timings.items(), key=lambda item: -item[1][1]):
        print(f"    {n / count:5.2f} x  {seconds / n * 1e3:6.3f} ms  = {seconds / count * 1e3:6.3f} ms   {name}")


def profile(app, bodies, top):
    """The same submissions in this one process through app.test_client(): SQL timed, then under cProfile."""
    client = app.test_client()
    statuses = Counter()

    def post(body):
        return client.post("/reports/new", data=body, content_type=FORM["Content-Type"]).status_code

    half = (len(bodies) - 50) // 2
    for body in bodies[:50]:  # warm: first requests compile templates and fill caches
        post(body)
    TimedCursor.timings = timings = {}
    started = time.perf_counter()
    statuses.update(post(body) for body in bodies[50:50 + half])
    took = time.perf_counter() - started
    TimedCursor.timings = None
    print(f"profile: {half:,} submissions in one process (test_client, no HTTP): {half / took:,.0f}/s, "
          f"{took / half * 1e3:.2f} ms each, statuses {dict(statuses)}")
    print_statements(timings, half, "submission")

    profiler = cProfile.Profile()
    profiler.enable()
    statuses = Counter(post(body) for body in bodies[50 + half:])
    profiler.disable()
    print(f"cProfile of the next {len(bodies) - 50 - half:,}: statuses {dict(statuses)}")
    for order, only in (("tottime", ()), ("cumulative", (str(ROOT / "seeclick"), top))):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(*only or (top,))
        print(out.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=3000, help="submissions per round (bare requests alike)")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2, help="alternate bare and submission this many times")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes, one connection each")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker with gthread")
    parser.add_argument("--email-share", type=float, default=0.3, help="share of submissions giving an email")
    parser.add_argument("--profile", type=int, metavar="N", help="profile N submissions in-process instead")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    app = profiled_app() if args.profile else create_app(OVERRIDES)
    rng = random.Random(311)
    if args.profile:
        bodies, skipped, _categories = submissions(app, 2 * args.profile + 50, args.email_share, rng)
        try:
            profile(app, bodies, args.top)
        finally:
            print("cleaned up: {} reports, {} queued jobs deleted".format(*clean_up(app)[:2]))
        return

    leftover = clean_up(app)[0]
    total = args.warmup + args.rounds * args.reports
    bodies, skipped, category_count = submissions(app, total, args.email_share, rng)
    with app.app_context():
        db.engine.dispose()  # the client processes are forked: they must not share these connections
    port = free_port()
    server, workers = start_gunicorn(args, port)
    results = {"bare": [], "submission": []}
    try:
        with multiprocessing.get_context("fork").Pool(args.clients) as pool:
            def bare(n):
                return phase(pool, args.clients, port, "/bench/bare", [None] * n, 200, workers)

            def submit(chunk):
                return phase(pool, args.clients, port, "/reports/new", chunk, 303, workers)

            bare(args.warmup)
            submit(bodies[:args.warmup])
            for r in range(args.rounds):  # alternate, so that machine noise hits both alike
                results["bare"].append(bare(args.reports))
                chunk = bodies[args.warmup + r * args.reports:args.warmup + (r + 1) * args.reports]
                results["submission"].append(submit(chunk))
        created = made(app)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        deleted = clean_up(app)

    kind = args.worker_class + (f", {args.threads} threads each" if args.worker_class == "gthread" else "")
    print(f"report submission under gunicorn: {args.workers} {kind} workers on {os.cpu_count()} cores, "
          f"{args.clients} client processes on the same cores (one connection each)")
    print("  app: create_app() with RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False (the work, not the throttle)")
    print(f"  {args.reports:,} requests per round after {args.warmup} warm-up, {args.rounds} alternating rounds; "
          f"real tax-lot points x {category_count} categories, {args.email_share:.0%} with an email "
          f"({skipped} points outside every service area skipped)")
    best = print_rounds(results, args.rounds)
    print(f"  ratio        submission / bare = {best['submission']['rate'] / best['bare']['rate']:.2f}   "
          f"(goal: >= 400 submissions/s, p95 < 50 ms)")
    print(f"  written: {created[0]:,} reports, {created[1]:,} emails, {created[2]:,} of their jobs still queued; "
          f"deleted {deleted[0]:,} reports and {deleted[1]:,} queued jobs"
          + (f" ({deleted[2]} jobs already taken by a worker left)" if deleted[2] else "")
          + (f"; {leftover} left by an earlier run deleted first" if leftover else ""))
    if created[2] < created[1]:
        print(f"  note: a job worker on this database ran {created[1] - created[2]:,} of the benchmark's mail jobs "
              f"(to bench<n>@example.org; without SMTP they land in {app.config['MAIL_DIRECTORY']})")


if __name__ == "__main__":
    main()
