"""Open311 GET requests beside the SQL they send, and POST requests beside a bare route, in one run.

    DATABASE_URL=postgresql://seeclick:...@127.0.0.1:PORT/seeclick_bench .venv/bin/python bench/open311.py
    .venv/bin/python bench/open311.py --only get [--repeat 50]       # or --only post [--posts 3000]
    .venv/bin/python bench/open311.py --profile "bbox Park Slope, 1000"   # where one GET case spends its time
    .venv/bin/python bench/open311.py --profile post --posts 1000         # and a POST, in one process

GET: each case is /open311/v2/requests.json (.xml for one) with its query string, through
app.test_client() in this process: the server's time (parameters, SQL, rows, serialisation),
no HTTP, one request at a time. Its floor is the statements that very request sent, captured
with a before_cursor_execute event and run again with the same parameters on a raw psycopg2
connection of its own, rows fetched, then rolled back. Samples alternate app and floor, who
goes first alternating too. Dates count back from now, as the standard's 90-day default does.
Start-up objects are frozen out of garbage collection (gc.freeze()), as gunicorn.conf.py does in
each worker; --no-gc-freeze leaves them in, to see what that costs.

POST: /open311/v2/requests.json form-encoded with an API key made for the run, a service_code
served everywhere, a real tax-lot point that routes, answers to the required attributes and an
email on a share of them; it must answer 200. Under gunicorn with bench/submission.py's
bench_app() (RATELIMIT_ENABLED=False, so the per-key throttle is off: this measures the work, not
the limit) and its load generator; the floor is that app's bare route. At the end the reports
made (channel open311, created since the run began), with their followers and emails, the jobs
queued for those emails and the key are deleted, so the database is left as it was (sequences move on).
Goal (issue 6), with 5,000,000 reports: GET p95 < 50 ms; POST >= 300 requests/s.
"""

import argparse
import cProfile
import gc
import io
import multiprocessing
import os
import pstats
import random
import signal
import statistics
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from bench.common import capture  # noqa: E402
from bench.submission import (  # noqa: E402
    FORM,
    OVERRIDES,
    TimedCursor,
    answer,
    free_port,
    percentile,
    phase,
    print_rounds,
    print_statements,
    profiled_app,
    start_gunicorn,
)
from seeclick import create_app  # noqa: E402
from seeclick.categories.models import Category, Datatype  # noqa: E402
from seeclick.demo.generate import load_taxlots  # noqa: E402
from seeclick.extensions import db  # noqa: E402
from seeclick.geo import LatLon  # noqa: E402
from seeclick.open311.services import create_key  # noqa: E402
from seeclick.routing import RoutingError, route  # noqa: E402

GOAL_MS = 50
KEY_NAME = "bench/open311.py"
DESCRIPTION = "Open311 benchmark request"
FILTERS = {  # name: query string, each asked for a page of 50 and of 1000
    "no filter": "",
    "pothole, open": "service_code=pothole&status=open",
    "bbox Park Slope": "bbox=-73.99,40.66,-73.97,40.68",  # about 1.7 by 2.2 km
    "bbox Brooklyn": "bbox=-74.04,40.57,-73.86,40.74",  # 15 by 19 km: read back in time, not by place
    "500 m of a point": "lat=40.6782&long=-73.9442&radius=500",  # Crown Heights
    "2 km of a point": "lat=40.6782&long=-73.9442&radius=2000",  # about where the two ways cost the same
    "30 days": "start_date={days_ago_60}&end_date={days_ago_30}",
    "extensions": "extensions=true",
}
SAMPLE_IDS = text("SELECT public_id FROM report TABLESAMPLE BERNOULLI (0.01) REPEATABLE (311) LIMIT :n")
# Ours: made by this run (the channel and the time the brief names), and by this benchmark (the description).
OURS = "r.channel = 'open311' AND r.created_at >= :since AND r.description LIKE :prefix"
MADE = text(f"""
    SELECT count(DISTINCT r.id), count(DISTINCT f.id), count(DISTINCT n.id),
           (SELECT count(*) FROM procrastinate_jobs j
            WHERE j.task_name = 'send_notification'
              AND (j.args->>'notification_id')::bigint IN (SELECT n2.id FROM notification n2
                                                           JOIN report r ON r.id = n2.report_id WHERE {OURS}))
    FROM report r LEFT JOIN follower f ON f.report_id = r.id LEFT JOIN notification n ON n.report_id = r.id
    WHERE {OURS}
""")
# Jobs first (they name the emails by id only); deleting a report cascades to its followers and emails.
DELETE_JOBS = text(f"""
    DELETE FROM procrastinate_jobs
    WHERE task_name = 'send_notification' AND status = 'todo'
      AND (args->>'notification_id')::bigint IN (SELECT n.id FROM notification n
                                                 JOIN report r ON r.id = n.report_id WHERE {OURS})
""")
DELETE_REPORTS = text(f"DELETE FROM report r WHERE {OURS}")
LEFTOVER_KEYS = text("DELETE FROM api_key WHERE name = :name")  # a key a killed run left


def get_cases(app):
    """(name, [url, ...]) for every GET case; the single-request case cycles through sampled ids."""
    now = datetime.now(UTC)
    ago = {f"days_ago_{days}": (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ") for days in (30, 60)}
    cases = []
    for name, query in FILTERS.items():
        query = "&".join(filter(None, [query.format(**ago), "page_size={}"]))
        for size in (50, 1000):
            cases.append((f"{name}, {size}", [f"/open311/v2/requests.json?{query.format(size)}"]))
        if name == "no filter":
            cases.append(("no filter, 1000, XML", ["/open311/v2/requests.xml?page_size=1000"]))
    with app.app_context():
        ids = db.session.scalars(SAMPLE_IDS, {"n": 200}).all()
        db.session.rollback()
    cases.append(("one request by id", [f"/open311/v2/requests/{i}.json" for i in ids]))
    return cases


def measure_get(app, cases, repeat):
    """App and floor latencies of each case, alternating sample by sample."""
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    raw_conn = engine.raw_connection()
    cursor = raw_conn.cursor()

    def app_once(url, _statements):
        started = time.perf_counter()
        response = client.get(url)
        took = time.perf_counter() - started
        if response.status_code != 200:
            sys.exit(f"{url}: {response.status_code} {response.data[:300]!r}")
        return took

    def raw_once(_url, statements):
        started = time.perf_counter()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description:  # not a SET
                cursor.fetchall()
        raw_conn.rollback()
        return time.perf_counter() - started

    results = []
    for name, urls in cases:
        sent, shape = {}, None
        for url in urls:  # warm-up, and the statements each URL sends
            response, sent[url] = capture(engine, client, url)
            shape = shape or (len(response.json) if response.is_json else response.data.count(b"<request>"),
                              len(response.data), len(sent[url]))
        for url in urls[:5]:
            raw_once(url, sent[url])
        timings = {"app": [], "raw": []}
        for i in range(repeat):
            url = urls[i % len(urls)]
            for side, once in ((("app", app_once), ("raw", raw_once)) if i % 2 == 0
                               else (("raw", raw_once), ("app", app_once))):
                timings[side].append(once(url, sent[url]))
        results.append((name, shape, timings))
        print(f"  {name:<24} done", file=sys.stderr)
    cursor.close()
    raw_conn.close()
    return results


def print_get(results, repeat):
    print(f"GET through app.test_client() in one process (server time, no HTTP), {repeat} samples each, "
          "beside the same statements on a raw psycopg2 connection (the floor); start-up objects "
          + ("frozen out of garbage collection, as gunicorn.conf.py does" if gc.get_freeze_count() else
             "left to the garbage collector (--no-gc-freeze)"))
    print(f"  {'case':<24} {'rows':>5} {'bytes':>9} {'SQL':>3}  {'app p50 / p95':>17}  {'raw SQL p50 / p95':>17}"
          f"  {'app/raw':>7}  p95 < {GOAL_MS} ms")
    for name, (rows, size, statements), timings in results:
        app50, app95 = (statistics.median(timings["app"]) * 1e3, percentile(timings["app"], 0.95) * 1e3)
        raw50, raw95 = (statistics.median(timings["raw"]) * 1e3, percentile(timings["raw"], 0.95) * 1e3)
        print(f"  {name:<24} {rows:>5} {size:>9,} {statements:>3}  {app50:7.1f} / {app95:6.1f} ms  "
              f"{raw50:7.1f} / {raw95:6.1f} ms  {app50 / raw50:7.2f}  {'yes' if app95 < GOAL_MS else 'NO'}")
    print("  app/raw is the ratio of the medians; SQL is the statements a request sends (all of them form the floor)")


def profile_get(app, cases, name, repeat, top):
    """cProfile `repeat` requests of one GET case, in this process."""
    urls = dict(cases).get(name) or sys.exit(f"no case {name!r}; cases: {', '.join(n for n, _ in cases)}")
    client = app.test_client()
    for url in urls[:5]:
        client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    started = time.perf_counter()
    for i in range(repeat):
        client.get(urls[i % len(urls)])
    took = time.perf_counter() - started
    profiler.disable()
    print_profile(profiler, top, f"profile of {name!r}: {repeat} requests, {took / repeat * 1e3:.1f} ms each")


def print_profile(profiler, top, title):
    print(f"{title} (under cProfile):")
    for order, only in (("tottime", ()), ("cumulative", (str(ROOT / "seeclick"), top))):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(*only or (top,))
        print(out.getvalue())


def post_bodies(app, key, count, email_share, rng):
    """Form bodies for `count` new service requests at real tax-lot points that route; and points skipped."""
    points = load_taxlots()
    with app.app_context():
        categories = db.session.scalars(select(Category).where(
            Category.active, Category.fallback_department_id.is_not(None))).all()
        if not categories:
            sys.exit("no categories: load the demo city first (flask --app wsgi demo load)")
        jurisdiction = app.config["OPEN311_JURISDICTION"]
        bodies, skipped = [], 0
        while len(bodies) < count:
            category = rng.choice(categories)
            lon, lat = map(float, points[rng.randrange(len(points))])
            try:
                route(category.id, LatLon(lat, lon))
            except RoutingError:  # a lot outside every service area: a 400, which is not what is measured
                skipped += 1
                continue
            i = len(bodies)
            fields = [("api_key", key), ("jurisdiction_id", jurisdiction), ("service_code", category.code),
                      ("lat", f"{lat:.6f}"), ("long", f"{lon:.6f}"),
                      ("description", f"{DESCRIPTION} {i}: {category.name.lower()} here, please look.")]
            for q in category.questions:
                if q.required:
                    name = f"attribute[{q.code}][]" if q.datatype is Datatype.MULTIVALUELIST else f"attribute[{q.code}]"
                    fields += [(name, value) for value in answer(q, rng)]
            if rng.random() < email_share:
                fields += [("email", f"bench{i}@example.org"), ("first_name", "Bench"), ("last_name", str(i)),
                           ("phone", "+1 212 555 0100")]
            bodies.append(urlencode(fields))
        db.session.rollback()
    return bodies, skipped, len(categories)


@contextmanager
def api_key(app, outcome):
    """An API key for the run; at the end what the run made is counted into `outcome` and deleted, the key too."""
    with app.app_context():
        outcome["leftover"] = [db.session.execute(LEFTOVER_KEYS, {"name": KEY_NAME}).rowcount]
        db.session.commit()
    outcome["leftover"].append(clean_reports(app, datetime.min.replace(tzinfo=UTC))[0])  # a killed run's
    since = datetime.now(UTC)
    with app.app_context():
        made_key, key = create_key(KEY_NAME)
        key_id = made_key.id
        db.session.commit()
    try:
        yield key
    finally:
        with app.app_context():
            outcome["made"] = db.session.execute(MADE, {"since": since, "prefix": f"{DESCRIPTION} %"}).one()
            db.session.rollback()
        outcome["deleted"] = clean_reports(app, since)
        with app.app_context():
            db.session.execute(text("DELETE FROM api_key WHERE id = :id"), {"id": key_id})
            db.session.commit()


def measure_post(app, args):
    """POST rounds alternating with bare rounds under gunicorn; results, and what was made and deleted."""
    outcome = {"results": {"bare": [], "POST": []}}
    with api_key(app, outcome) as key:
        bodies, outcome["skipped"], outcome["categories"] = post_bodies(
            app, key, args.warmup + args.rounds * args.posts, args.email_share, random.Random(311))
        with app.app_context():
            db.engine.dispose()  # the client processes are forked: they must not share these connections
        port = free_port()
        server, workers = start_gunicorn(args, port)
        try:
            with multiprocessing.get_context("fork").Pool(args.clients) as pool:
                def bare(n):
                    return phase(pool, args.clients, port, "/bench/bare", [None] * n, 200, workers)

                def post(chunk):
                    return phase(pool, args.clients, port, "/open311/v2/requests.json", chunk, 200, workers)

                bare(args.warmup)
                post(bodies[:args.warmup])
                for r in range(args.rounds):  # alternate, so that machine noise hits both alike
                    outcome["results"]["bare"].append(bare(args.posts))
                    outcome["results"]["POST"].append(post(bodies[args.warmup + r * args.posts:
                                                                  args.warmup + (r + 1) * args.posts]))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    return outcome


def profile_post(app, count, email_share, top):
    """`count` POSTs in this process through app.test_client(): every statement timed, then under cProfile."""
    outcome = {}
    client = app.test_client()

    def post(body):
        return client.post("/open311/v2/requests.json", data=body, content_type=FORM["Content-Type"]).status_code

    with api_key(app, outcome) as key:
        bodies = post_bodies(app, key, 2 * count + 50, email_share, random.Random(311))[0]
        statuses = Counter(post(body) for body in bodies[:50])  # warm: templates, caches
        TimedCursor.timings = timings = {}
        started = time.perf_counter()
        statuses.update(post(body) for body in bodies[50:50 + count])
        took = time.perf_counter() - started
        TimedCursor.timings = None
        profiler = cProfile.Profile()
        profiler.enable()
        statuses.update(post(body) for body in bodies[50 + count:])
        profiler.disable()
    print(f"profile: {count:,} POSTs in one process (test_client, no HTTP): {count / took:,.0f}/s, "
          f"{took / count * 1e3:.2f} ms each; statuses {dict(statuses)}")
    print_statements(timings, count, "POST")
    print_profile(profiler, top, f"cProfile of the next {count:,}")
    print(f"  deleted {outcome['deleted'][0]:,} reports, {outcome['deleted'][1]:,} queued jobs and the API key")


def clean_reports(app, since):
    """Delete our reports made since `since`, their followers and emails, and the jobs queued for them."""
    ours = {"since": since, "prefix": f"{DESCRIPTION} %"}
    with app.app_context():
        jobs = db.session.execute(DELETE_JOBS, ours).rowcount
        taken = db.session.execute(MADE, ours).one()[3]
        reports = db.session.execute(DELETE_REPORTS, ours).rowcount
        db.session.commit()
    return reports, jobs, taken


def print_post(outcome, args):
    results, made, deleted = outcome["results"], outcome["made"], outcome["deleted"]
    kind = args.worker_class + (f", {args.threads} threads each" if args.worker_class == "gthread" else "")
    print(f"POST /open311/v2/requests.json under gunicorn: {args.workers} {kind} workers on {os.cpu_count()} cores, "
          f"{args.clients} client processes on the same cores (one connection each)")
    print(f"  app: bench/submission.py's bench_app(), create_app() with {OVERRIDES}: "
          "no per-key rate limit (the work, not the throttle); floor: its bare route")
    print(f"  {args.posts:,} requests per round after {args.warmup} warm-up, {args.rounds} alternating rounds; "
          f"real tax-lot points x {outcome['categories']} categories served everywhere, required attributes "
          f"answered, {args.email_share:.0%} with an email ({outcome['skipped']} points outside every area skipped)")
    best = print_rounds(results, args.rounds)
    print(f"  ratio        POST / bare = {best['POST']['rate'] / best['bare']['rate']:.2f}   "
          f"(goal: >= 300 POST/s: {'met' if best['POST']['rate'] >= 300 else 'MISSED'})")
    print(f"  written: {made[0]:,} reports, {made[1]:,} followers, {made[2]:,} emails, {made[3]:,} of their jobs "
          f"queued; deleted {deleted[0]:,} reports (with their followers and emails), {deleted[1]:,} queued jobs "
          "and the API key" + (f" ({deleted[2]} jobs already taken by a worker left)" if deleted[2] else ""))
    keys, reports = outcome["leftover"]
    if keys or reports:
        print(f"  an earlier run's leftovers deleted first: {keys} keys, {reports} reports")


def others_running():
    """Command lines of other bench/ processes: their load would make these numbers meaningless."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in (os.getpid(), os.getppid()):
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "bench/" in command and "python" in command:
                found.append(command.strip())
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["get", "post"])
    parser.add_argument("--repeat", type=int, default=50, help="samples of each GET case (and of its floor)")
    parser.add_argument("--posts", type=int, default=3000, help="POSTs per round (bare requests alike)")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2, help="alternate bare and POST this many times")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes, one connection each")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker with gthread")
    parser.add_argument("--email-share", type=float, default=0.3, help="share of POSTs giving an email")
    parser.add_argument("--profile", metavar="CASE", help='cProfile one GET case, or "post" (--posts of them)')
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="GET: leave start-up objects to the garbage collector (gunicorn.conf.py freezes them)")
    args = parser.parse_args()

    for command in others_running():
        print(f"warning: another benchmark is running, the figures will be meaningless: {command}", file=sys.stderr)
    app = profiled_app() if args.profile == "post" else create_app(OVERRIDES)
    with app.app_context():
        reports = db.session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'report'"))
        print(f"database {db.engine.url.database}: about {reports:,} reports")
        db.session.rollback()
    if args.only != "post" and args.profile != "post" and not args.no_gc_freeze:
        gc.freeze()  # what gunicorn.conf.py does in a worker once the application is made
    if args.profile == "post":
        profile_post(app, args.posts, args.email_share, args.top)
        return
    if args.profile:
        profile_get(app, get_cases(app), args.profile, args.repeat, args.top)
        return
    if args.only != "post":
        cases = get_cases(app)
        print_get(measure_get(app, cases, args.repeat), args.repeat)
    if args.only != "get":
        print_post(measure_post(app, args), args)


if __name__ == "__main__":
    main()
