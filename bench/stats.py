"""/stats and neighbourhood pages beside the SQL they send, and the job that keeps the rollups current.

    DATABASE_URL=postgresql://seeclick:...@127.0.0.1:PORT/seeclick_bench .venv/bin/python bench/stats.py
    .venv/bin/python bench/stats.py --only pages [--repeat 50]      # or --only job
    .venv/bin/python bench/stats.py --rebuild                        # also time the bulk rebuild (35 s at 5M)
    .venv/bin/python bench/stats.py --profile /stats [--cold]        # where one page spends its time

The job: `stats.services.fold()` in a REPEATABLE READ transaction, as the every-minute task runs
it, a minute after the last run, with nothing changed in that minute and after a minute of
changes at three rates: 10 (about 5 million reports a year), 1,000 and 24,000 changes (400 new
reports a second for a minute). A change is a new report (a copy of a random one, made now), an
acknowledgement, a close, a reopen or a reassignment, in the shares make_changes() gives.
Changes and job run in one transaction that is rolled back. Before that, whatever changes are
waiting are folded in and committed, as the job would have done (no job worker runs on the
benchmark database). --rebuild also times `stats.services.rebuild()`, what a large
`flask demo generate` and the first run after the migration do, rolled back.

The pages: each through app.test_client() in this process, so the figures are server time
(queries, Python, templates), no HTTP. "Cold" is the first request after the job ran (the
page's cached parts are rebuilt); "warm" is every request after it until the next run. The
floor is the statements that very request sent (captured with a before_cursor_execute event)
run again with the same parameters on a raw psycopg2 connection, rows fetched; samples
alternate. Start-up objects are frozen out of garbage collection (gc.freeze()), as
gunicorn.conf.py does in each worker; --no-gc-freeze leaves them in, to see what that costs.
Goal (issue 5), with 5,000,000 reports: each page under 100 ms.
"""

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import make_url, text  # noqa: E402

from bench.common import capture, percentile  # noqa: E402
from seeclick import create_app  # noqa: E402
from seeclick.extensions import db  # noqa: E402
from seeclick.stats import rendered, services  # noqa: E402

GOAL_MS = 100
PAGES = ("/stats", "/neighbourhoods/BK0802", "/neighbourhoods/{busiest}")
BUSIEST = text("SELECT n.code FROM neighbourhood n JOIN report r ON r.neighbourhood_id = n.id "
               "WHERE r.created_at >= now() - interval '30 days' GROUP BY n.code ORDER BY count(*) DESC LIMIT 1")


def ms(values):
    return f"{statistics.median(values) * 1e3:7.1f} / {percentile(values, 0.95) * 1e3:6.1f} ms"


def forget():
    """Drop what the pages keep between requests, as a run of the job does."""
    rendered.forget()  # the pages are drawn again; the city outlines stay kept, as between two folds


def measure_pages(app, urls, repeat):
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    raw_conn = engine.raw_connection()
    cursor = raw_conn.cursor()

    def page(url, cold):
        if cold:
            forget()
        started = time.perf_counter()
        response = client.get(url)
        took = time.perf_counter() - started
        if response.status_code != 200:
            sys.exit(f"{url}: {response.status_code}")
        return took

    def raw(statements):
        started = time.perf_counter()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        raw_conn.rollback()
        return time.perf_counter() - started

    results = []
    for url in urls:
        client.get(url)  # what the process keeps however the figures change (neighbourhood outlines) is kept
        forget()
        response, cold_sent = capture(engine, client, url)
        _, warm_sent = capture(engine, client, url)
        size = len(response.data)
        timings = {"cold": [], "warm": [], "raw cold": [], "raw warm": []}
        for i in range(repeat):
            order = (0, 1) if i % 2 == 0 else (1, 0)
            for which in order:
                if which == 0:
                    timings["cold"].append(page(url, cold=True))
                    timings["warm"].append(page(url, cold=False))
                else:
                    timings["raw cold"].append(raw(cold_sent))
                    timings["raw warm"].append(raw(warm_sent))
        results.append((url, size, len(cold_sent), len(warm_sent), timings))
        print(f"  {url} done", file=sys.stderr)
    cursor.close()
    raw_conn.close()
    return results


def print_pages(results, repeat):
    print(f"Pages through app.test_client() in one process (server time, no HTTP), {repeat} samples each, beside "
          "the statements each sent, run on a raw psycopg2 connection (the floor)")
    print(f"  {'page':<28} {'bytes':>9} {'SQL':>7}  {'cold p50 / p95':>18}  {'floor':>18}  "
          f"{'warm p50 / p95':>18}  {'floor':>18}  under {GOAL_MS} ms")
    for url, size, n_cold, n_warm, t in results:
        worst = max(percentile(t["cold"], 0.5), percentile(t["warm"], 0.5)) * 1e3
        print(f"  {url:<28} {size:>9,} {n_cold:>3}/{n_warm:<3}  {ms(t['cold'])}  {ms(t['raw cold'])}  "
              f"{ms(t['warm'])}  {ms(t['raw warm'])}  {'yes' if worst < GOAL_MS else 'NO'}")
    print("  SQL: statements sent cold / warm; 'under' compares the p50 of both with the goal")


def time_job(app, rounds):
    """The every-minute job, with nothing to do and after a minute's changes, each rolled back."""
    print("The rollup job (stats.services.fold() in a REPEATABLE READ transaction, as the every-minute task "
          "runs it), each run rolled back")
    with app.app_context():
        caught_up = services.fold()  # what the job would have done by now: committed
        db.session.commit()
        print(f"  caught up first: {caught_up.recorded:,} change rows waiting, folded and committed")
        a_minute_later = caught_up.after + timedelta(minutes=1)
        for label, changes in (("idle minute", 0), ("10 changes", 10), ("1,000 changes", 1000),
                               ("24,000 changes", 24000)):
            took, changing, folds = [], [], []
            for _ in range(rounds if changes < 24000 else max(1, rounds // 2)):
                db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                started = time.perf_counter()
                make_changes(changes)
                changed = time.perf_counter()
                folds.append(services.fold(a_minute_later))
                took.append(time.perf_counter() - changed)
                changing.append(changed - started)
                db.session.rollback()
            last = folds[-1]
            print(f"  {label:<16} job p50 {statistics.median(took) * 1e3:8.1f} ms   max {max(took) * 1e3:8.1f} ms"
                  f"   {last.recorded:,} change rows, {last.expired} expired, {last.became_due} fell due, "
                  f"{last.groups} groups recomputed"
                  + (f"   (making the changes: {statistics.median(changing) * 1e3:.0f} ms)" if changes else ""))


def make_changes(count):
    """A minute's changes: new reports (copies of random ones, made now), acknowledgements, closes, reopens,
    reassignments."""
    new, ack, close, reopen, move = (round(count * share) for share in (0.5, 0.2, 0.2, 0.05, 0.05))
    if not count:
        return
    session = db.session
    session.execute(text("""
        INSERT INTO report (category_id, department_id, neighbourhood_id, location, status, channel, created_at,
                            due_at)
        SELECT category_id, department_id, neighbourhood_id, location, 'new', 'web', now(), now() + interval '3 days'
        FROM report TABLESAMPLE SYSTEM (1) LIMIT :n"""), {"n": new})
    session.execute(text("""
        UPDATE report SET status = 'acknowledged', acknowledged_at = now()
        WHERE id IN (SELECT id FROM report TABLESAMPLE SYSTEM (2) WHERE status = 'new' LIMIT :n)"""), {"n": ack})
    session.execute(text("""
        UPDATE report SET status = 'fixed', closed_at = now(), acknowledged_at = coalesce(acknowledged_at, now())
        WHERE id IN (SELECT id FROM report TABLESAMPLE SYSTEM (2) WHERE closed_at IS NULL LIMIT :n)"""), {"n": close})
    session.execute(text("""
        UPDATE report SET status = 'acknowledged', closed_at = NULL, duplicate_of_id = NULL
        WHERE id IN (SELECT id FROM report TABLESAMPLE SYSTEM (1) WHERE closed_at IS NOT NULL LIMIT :n)"""),
        {"n": reopen})
    session.execute(text("""
        UPDATE report r SET department_id = d.fallback_department_id, status = 'new'
        FROM category d WHERE d.id = r.category_id AND d.fallback_department_id <> r.department_id
          AND r.id IN (SELECT id FROM report TABLESAMPLE SYSTEM (1) WHERE closed_at IS NULL LIMIT :n)"""),
        {"n": move})


def time_rebuild(app):
    with app.app_context():
        started = time.perf_counter()
        services.rebuild()
        took = time.perf_counter() - started
        db.session.rollback()
    print(f"  rebuild in bulk  {took:8.1f} s   (what a large flask demo generate and the first run do)")


def profile(app, url, repeat, cold):
    client = app.test_client()
    client.get(url)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    for _ in range(repeat):
        if cold:
            forget()
        profiler.enable()
        client.get(url)
        profiler.disable()
    took = time.perf_counter() - started
    print(f"profile of {url}: {repeat} {'cold' if cold else 'warm'} requests, {took / repeat * 1e3:.1f} ms each "
          "(under cProfile)")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(30)
        print(out.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5, help="runs of the job in each case")
    parser.add_argument("--only", choices=("pages", "job"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--profile", metavar="URL")
    parser.add_argument("--cold", action="store_true", help="profile requests made just after the job ran")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="leave start-up objects to the garbage collector (gunicorn.conf.py freezes them)")
    args = parser.parse_args()
    app = create_app()
    if not args.no_gc_freeze:
        gc.freeze()  # what gunicorn.conf.py does in a worker once the application is made
    with app.app_context():
        count = db.session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'report'"))
        busiest = db.session.scalar(BUSIEST)
        db.session.rollback()
    print(f"database: {make_url(app.config['SQLALCHEMY_DATABASE_URI']).database}, about {count:,} reports; "
          f"busiest neighbourhood this month: {busiest}")
    if args.profile:
        profile(app, args.profile.format(busiest=busiest), args.repeat, args.cold)
        return
    if args.only != "pages":
        time_job(app, args.rounds)
        if args.rebuild:
            time_rebuild(app)
    if args.only != "job":
        urls = [p.format(busiest=busiest) for p in PAGES]
        print_pages(measure_pages(app, urls, args.repeat), args.repeat)


if __name__ == "__main__":
    main()
