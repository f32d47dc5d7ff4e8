"""Route lookups per second through routing.route() beside the same SQL run raw, in one run.

    make bench            # or: .venv/bin/python bench/routing.py [--lookups N]

Points are real tax-lot locations; categories are drawn from the demo city. The floor is the
identical query executed on a bare psycopg2 connection of its own (no session, no decision in
Python), so the ratio is what the service layer costs. Goal: service >= 0.5 x raw, one lookup < 0.2 ms.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from seeclick import create_app  # noqa: E402
from seeclick.categories.models import Category  # noqa: E402
from seeclick.demo.generate import load_taxlots  # noqa: E402
from seeclick.extensions import db  # noqa: E402
from seeclick.geo import LatLon  # noqa: E402
from seeclick.routing import RoutingError, route  # noqa: E402
from seeclick.routing.queries import ROUTE_POINT  # noqa: E402


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn, probes):
    latencies = []
    started = time.perf_counter()
    for probe in probes:
        t = time.perf_counter()
        fn(*probe)
        latencies.append(time.perf_counter() - t)
    return len(probes) / (time.perf_counter() - started), latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternate service and raw this many times")
    args = parser.parse_args()

    app = create_app()
    rng = random.Random(311)
    points = load_taxlots()
    with app.app_context():
        category_ids = db.session.scalars(select(Category.id).where(Category.active)).all()
        if not category_ids:
            sys.exit("no categories: load the demo city first (make run, or flask --app wsgi demo load)")
        probes = [(rng.choice(category_ids), *map(float, points[rng.randrange(len(points))]))
                  for _ in range(args.lookups)]

        def service(category_id, lon, lat):
            try:
                route(category_id, LatLon(lat, lon))
            except RoutingError:
                pass

        raw_conn = db.engine.raw_connection()
        cursor = raw_conn.cursor()
        def raw(category_id, lon, lat):
            cursor.execute(ROUTE_POINT, {"category_id": category_id, "lon": lon, "lat": lat})
            cursor.fetchall()

        warm = probes[:500]
        timed(service, warm)
        timed(raw, warm)
        results = {"service": [], "raw": []}
        for _ in range(args.rounds):  # alternate, so that machine noise hits both alike
            results["service"].append(timed(service, probes))
            results["raw"].append(timed(raw, probes))
            db.session.rollback()
            raw_conn.rollback()
        cursor.close()
        raw_conn.close()

    print(f"route lookups: {args.lookups:,} real tax-lot points x {len(category_ids)} categories, "
          f"{args.rounds} alternating rounds")
    best = {}
    for name, runs in results.items():
        rate, latencies = max(runs, key=lambda r: r[0])
        best[name] = rate
        print(f"  {name:<8} {rate:9,.0f} lookups/s   p50 {statistics.median(latencies) * 1e3:.3f} ms   "
              f"p95 {percentile(latencies, 0.95) * 1e3:.3f} ms   p99 {percentile(latencies, 0.99) * 1e3:.3f} ms")
    print(f"  ratio    service / raw SQL = {best['service'] / best['raw']:.2f}  (goal >= 0.50)")


if __name__ == "__main__":
    main()
