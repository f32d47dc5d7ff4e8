"""Neighbourhood pages from an empty shared store, asked for twice: what their first drawings cost, and what
the same pages cost while they are still kept.

    .venv/bin/python bench/kept_pages.py [--reports 5000000] [--seconds 6] [--gap 12] [--times 3]

Against the benchmark database of `make bench` (bench/run.py builds it): gunicorn as bench/run.py starts
it, the shared store's database emptied, then wrk goes round --urls neighbourhood pages (chosen at
random, as bench/run.py does) for --seconds, waits --gap seconds (bench/run.py's two floors between a
case's rounds), and goes round them again. A page may be 30 s old, so with a gap of 12 s the second
round should find every page the first drew. Run it in two checkouts by turns to compare two versions.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
import redis  # noqa: E402

from bench import run  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=5_000_000)
    parser.add_argument("--bench-db", help="the benchmark database (default: seeclick_bench_<N> in the local cluster)")
    parser.add_argument("--seconds", type=int, default=6, help="each round's length")
    parser.add_argument("--gap", type=float, default=12, help="seconds between the two rounds")
    parser.add_argument("--times", type=int, default=1, help="how many times to start from an empty store")
    parser.add_argument("--urls", type=int, default=200)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    database_url = args.bench_db or run.local_url(f"seeclick_bench_{args.reports}")
    os.environ["DATABASE_URL"] = database_url
    shared = run.bench_app().config.get("SHARED_CACHE_URI")
    if not shared:
        sys.exit("no shared store configured (SEECLICK_SHARED_CACHE, or the local Redis of `make run`)")
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT code FROM neighbourhood ORDER BY code")
        codes = [code for (code,) in cursor.fetchall()]
    rng = random.Random(1)
    lines = run.get_lines([f"/neighbourhoods/{rng.choice(codes)}" for _ in range(args.urls)])
    for _ in range(args.times):
        redis.Redis.from_url(shared).flushdb()  # the store's own database: nothing else is kept there
        server = run.Server(database_url)
        try:
            rounds = []
            for r in range(2):
                if r:
                    time.sleep(args.gap)
                rounds.append(run.wrk(server, lines, args.seconds, args.connections))
        finally:
            server.stop()
        print(" | ".join(f"{name}: {f['requests'] / f['seconds']:.0f}/s, p50 {f['p50']:.1f} ms, p95 {f['p95']:.1f} ms"
                         for name, f in zip(("first drawings", f"{args.gap:g} s later"), rounds, strict=True)),
              flush=True)


if __name__ == "__main__":
    main()
