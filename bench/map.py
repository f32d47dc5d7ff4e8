"""The public map on millions of reports: every tile zoom, the page, and the cost of keeping counts.

    DATABASE_URL=postgresql://seeclick:...@127.0.0.1:PORT/seeclick_bench .venv/bin/python bench/map.py
    .venv/bin/python bench/map.py --tiles 40 --zooms 10-18     # fewer or more tiles a zoom
    .venv/bin/python bench/map.py --rebuild                     # also time map_rebuild() (rolled back)

Tiles: /map/tiles/<z>/<x>/<y>.pbf through app.test_client() in this process, so the figures are the
server's time (filter lookups, the tile's SQL, the response) without HTTP. For each zoom from the whole
city (10) to a street (18), tiles are drawn where reports are (random real tax-lot points), each asked
with every filter below. The floor is the statements each request sent (captured with a
before_cursor_execute event) run again with the same parameters on a raw psycopg2 connection, result
fetched; samples alternate app and floor. The map page: its size and time beside its own statements.
Keeping the counts: the extra time a report INSERT pays for its trigger (the same 2,000 INSERTs with the
map trigger enabled and disabled, each in a transaction rolled back), and map_fold() of those changes.
Goal (issue 5), with 5,000,000 reports: every tile or map-data request p95 under 50 ms at every zoom;
map page HTML under 300 KB.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.common import capture, percentile  # noqa: E402
from seeclick import create_app  # noqa: E402
from seeclick.demo.generate import load_taxlots  # noqa: E402
from seeclick.extensions import db  # noqa: E402
from seeclick.publicmap import tiles  # noqa: E402

GOAL_MS = 50
PAGE_GOAL_BYTES = 300_000
FILTERS = {
    "open (default)": "",
    "open and closed": "?status=all",
    "pothole": "?category=pothole&status=all",
    "DOT Brooklyn, open": "?department=dot-bk",
    "3 months": "?status=all&from={m3}&to={m1}",
    "pothole, DOT Brooklyn, closed, 6 months": "?category=pothole&department=dot-bk&status=closed&from={m6}&to={m1}",
}


def months_ago(n):
    today = time.gmtime()
    year, month = today.tm_year, today.tm_mon - n
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def timed_pairs(client, cursor, raw_conn, urls_and_statements):
    """App and floor times of each (url, statements), alternating who goes first."""
    app_times, raw_times = [], []
    for i, (url, statements) in enumerate(urls_and_statements):
        def app_once(url=url):
            started = time.perf_counter()
            client.get(url)
            app_times.append(time.perf_counter() - started)

        def raw_once(statements=statements):
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            raw_conn.rollback()
            raw_times.append(time.perf_counter() - started)

        for once in ((app_once, raw_once) if i % 2 == 0 else (raw_once, app_once)):
            once()
    return app_times, raw_times


def ms(values, q=None):
    return (statistics.median(values) if q is None else percentile(values, q)) * 1e3


def bench_tiles(app, zooms, per_zoom, seed):
    rng = random.Random(seed)
    points = load_taxlots()
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    raw_conn = engine.raw_connection()
    cursor = raw_conn.cursor()
    dates = {"m1": months_ago(1), "m3": months_ago(3), "m6": months_ago(6)}
    print(f"Tiles through app.test_client() (server time), {per_zoom} tiles a zoom where reports are, each with "
          f"{len(FILTERS)} filters, beside the same statements on a raw psycopg2 connection (the floor)")
    print(f"  {'zoom':>4} {'drawn as':<24} {'requests':>8} {'KB p50/max':>11}  {'app p50 / p95':>17}  "
          f"{'raw SQL p50 / p95':>17}  {'app/raw':>7}  p95 < {GOAL_MS} ms")
    by_filter = {name: ([], []) for name in FILTERS}
    worst = 0.0
    for z in zooms:
        plan = tiles.plan(z)
        drawn = "points" if plan.kind == "points" else f"cells L{plan.level} ({plan.source})"
        cases = []
        for _ in range(per_zoom):
            lon, lat = points[rng.randrange(len(points))]
            x, y = tiles.cell_of(lon, lat, z)
            for name, query in FILTERS.items():
                url = f"/map/tiles/{z}/{x}/{y}.pbf{query.format(**dates)}"
                response, sent = capture(engine, client, url)  # warms up too
                cases.append((name, url, sent, len(response.data)))
        app_times, raw_times = timed_pairs(client, cursor, raw_conn, [(url, sent) for _, url, sent, _ in cases])
        for (name, *_), a, r in zip(cases, app_times, raw_times, strict=True):
            by_filter[name][0].append(a)
            by_filter[name][1].append(r)
        sizes = [size for *_, size in cases]
        p95 = ms(app_times, 0.95)
        worst = max(worst, p95)
        print(f"  {z:>4} {drawn:<24} {len(cases):>8} {statistics.median(sizes) / 1024:5.1f}/{max(sizes) / 1024:<5.1f}  "
              f"{ms(app_times):7.1f} / {p95:6.1f} ms  {ms(raw_times):7.1f} / {ms(raw_times, 0.95):6.1f} ms  "
              f"{ms(app_times) / ms(raw_times):7.2f}  {'yes' if p95 < GOAL_MS else 'NO'}")
    print("  By filter, all zooms:")
    for name, (a, r) in by_filter.items():
        print(f"    {name:<42} app {ms(a):6.1f} / {ms(a, 0.95):6.1f} ms   raw {ms(r):6.1f} / {ms(r, 0.95):6.1f} ms")
    print(f"  slowest zoom's p95: {worst:.1f} ms ({'meets' if worst < GOAL_MS else 'misses'} the {GOAL_MS} ms goal)")
    cursor.close()
    raw_conn.close()


def bench_page(app, samples):
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    raw_conn = engine.raw_connection()
    cursor = raw_conn.cursor()
    print("The map page, /map (default and filtered)")
    for url in ("/map", "/map?category=pothole&department=dot-bk&status=all"):
        response, sent = capture(engine, client, url)
        app_times, raw_times = timed_pairs(client, cursor, raw_conn, [(url, sent)] * samples)
        size = len(response.data)
        print(f"  {url:<52} {size / 1024:6.1f} KB ({'under' if size < PAGE_GOAL_BYTES else 'OVER'} 300 KB), "
              f"{len(sent)} statements: app {ms(app_times):5.1f} / {ms(app_times, 0.95):5.1f} ms, "
              f"raw {ms(raw_times):5.1f} / {ms(raw_times, 0.95):5.1f} ms")
    cursor.close()
    raw_conn.close()


INSERT = text("""
    INSERT INTO report (category_id, department_id, location, created_at, description)
    SELECT category_id, department_id, location, now(), 'bench/map.py'
    FROM report TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT :n
""")


def bench_upkeep(app, n, rebuild):
    with app.app_context():
        conn = db.engine.connect()
        if n:
            time_trigger(conn, n)
        if rebuild:
            tx = conn.begin()
            started = time.perf_counter()
            rows = conn.execute(text("SELECT map_rebuild()")).scalar()
            print(f"  map_rebuild(): {time.perf_counter() - started:.1f} s for {rows:,} count rows (rolled back)")
            tx.rollback()
        conn.close()


def time_trigger(conn, n):
    """The map trigger's cost on n report INSERTs, and map_fold() of them (each batch rolled back)."""
    print(f"Keeping the counts: {n:,} report INSERTs, each batch in a transaction rolled back")
    results = {}
    with conn.begin() as warm_up:  # the sampled rows into the cache, the plans made
        conn.execute(INSERT, {"n": n})
        warm_up.rollback()
    for label, enabled in (("map trigger disabled", False), ("map trigger enabled", True),
                           ("again disabled", False), ("again enabled", True)):
        tx = conn.begin()
        if not enabled:
            conn.execute(text("ALTER TABLE report DISABLE TRIGGER map_delta_insert_delete"))
        started = time.perf_counter()
        inserted = conn.execute(INSERT, {"n": n}).rowcount
        took = time.perf_counter() - started
        results.setdefault(enabled, []).append(took)
        each = f"{took / inserted * 1e6:5.1f} µs a report" if inserted else "no report to copy"
        if enabled:
            started = time.perf_counter()
            folded = conn.execute(text("SELECT map_fold()")).scalar()
            fold = time.perf_counter() - started
            print(f"  {label:<22} {took * 1e3:8.1f} ms ({each}); "
                  f"map_fold() of them: {fold * 1e3:6.1f} ms for {folded:,} changed groups")
        else:
            print(f"  {label:<22} {took * 1e3:8.1f} ms ({each})")
        tx.rollback()
    if inserted:
        extra = (min(results[True]) - min(results[False])) / inserted * 1e6
        print(f"  the trigger's cost: {extra:.1f} µs a report (best of two each)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=30, help="tiles drawn at each zoom")
    parser.add_argument("--zooms", default="10-18", help="a range of zooms, e.g. 10-18")
    parser.add_argument("--page-samples", type=int, default=30)
    parser.add_argument("--inserts", type=int, default=2000, help="report INSERTs to time the map trigger on (0: skip)")
    parser.add_argument("--rebuild", action="store_true", help="also time map_rebuild()")
    parser.add_argument("--seed", type=int, default=311)
    args = parser.parse_args()
    if args.inserts < 0:
        parser.error("--inserts must be zero or more")
    low, high = (int(v) for v in args.zooms.split("-"))
    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        reports = db.session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'report'"))
        cells = db.session.scalar(text("SELECT count(*) FROM map_cell"))
        db.session.rollback()
    print(f"Database: about {reports:,} reports; {cells:,} count rows in map_cell")
    bench_tiles(app, range(low, high + 1), args.tiles, args.seed)
    bench_page(app, args.page_samples)
    bench_upkeep(app, args.inserts, args.rebuild)


if __name__ == "__main__":
    main()
