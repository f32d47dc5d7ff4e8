"""/stats under load while the figures change: each worker draws the dashboard again after every fold.

    .venv/bin/python bench/stats_load.py --bench-db postgresql://...@127.0.0.1:54329/seeclick_bench_copy
    .venv/bin/python bench/stats_load.py --bench-db ... --fold-every 0      # no folds: the workers' first draws

bench/run.py's server (gunicorn, gunicorn.conf.py, 3 workers), wrk rounds and SQL floor (the statements of a
drawn /stats replayed with psycopg2), for /stats alone. Before the load every worker has drawn the dashboard;
then `stats.services.fold()` runs and commits every --fold-every seconds (the job runs every minute: this
is that many times more often), so the figures' time moves on as the job moves it, and the tail shows
what a fold costs the requests around it. The folds commit in --bench-db, as the job would: point it at a
copy (CREATE DATABASE ... TEMPLATE seeclick_bench_1000000) when others read the benchmark database.
Nothing else is written (bench/run.py also makes its staff account and an API key).
"""

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-db", required=True, help="the database the servers and the folds use")
    parser.add_argument("--seconds", type=int, default=9, help="seconds, service and floor each")
    parser.add_argument("--rounds", type=int, default=1, help="rounds, service and floor alternating")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--fold-every", type=float, default=3.0, help="seconds between folds (0: none)")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.bench_db
    app = run.bench_app()
    case = run.Case("/stats", run.get_lines(["/stats"]), run.p95_under(100), "sql", ["/stats"])
    run.capture_statements(app, case)
    server = run.Server(args.bench_db)
    with ThreadPoolExecutor(4 * run.WORKERS) as pool:  # each worker has drawn it before the load
        for _ in range(3):
            if any(s != 200 for s, *_ in pool.map(lambda _: server.get("/stats"), range(4 * run.WORKERS))):
                server.stop()
                sys.exit("/stats did not answer 200")
    stop, folds = threading.Event(), []
    folder = threading.Thread(target=folding, args=(app, args.fold_every, stop, folds))
    if args.fold_every > 0:
        folder.start()
    results = {"cases": {}}
    try:
        print(run.HEADER)
        run.measure(args, server, args.bench_db, [case], results)
    finally:
        stop.set()
        if folder.is_alive():
            folder.join()
        server.stop()
    rounds = results["cases"]["/stats"]["service"]["rounds"]
    print("service rounds (p50, p95, p99 ms, requests):",
          [(round(r["p50"], 1), round(r["p95"], 1), round(r["p99"], 1), r["requests"]) for r in rounds])
    if folds:
        print(f"{len(folds)} folds, each {min(folds) * 1e3:.0f} to {max(folds) * 1e3:.0f} ms")


def folding(app, every, stop, folds):
    from seeclick.extensions import db
    from seeclick.stats import services

    while not stop.wait(every):
        started = time.perf_counter()
        with app.app_context():
            services.fold()
            db.session.commit()
        folds.append(time.perf_counter() - started)


if __name__ == "__main__":
    main()
