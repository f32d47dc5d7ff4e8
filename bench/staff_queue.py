"""A department's queue with 100,000 open tickets: queue_page() beside the same SQL run raw.

    .venv/bin/python bench/staff_queue.py [--tickets 100000] [--repeat 30]

Adds the tickets to DOT Brooklyn inside a transaction that is rolled back at the end, so the
database is left as it was. For each filter it times staff.queries.queue_page() (both of its
statements, through the session) and, as the floor, the identical compiled SQL on the raw cursor,
sampled alternately; the ratio is queue_page over the floor (1.00: no cost above the SQL), as in
the other benchmarks.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402

from seeclick import create_app  # noqa: E402
from seeclick.categories.models import Category  # noqa: E402
from seeclick.departments.models import Department  # noqa: E402
from seeclick.extensions import db  # noqa: E402
from seeclick.neighbourhoods.models import Neighbourhood  # noqa: E402
from seeclick.staff import queries  # noqa: E402

FILL = text("""
INSERT INTO report (category_id, department_id, neighbourhood_id, location, status, channel, created_at, due_at,
                    updated_at, description)
SELECT cats[1 + (i % array_length(cats, 1))], :department, hoods[1 + (i % array_length(hoods, 1))],
       ST_SetSRID(ST_MakePoint(-73.95, 40.65), 4326),
       CASE WHEN i % 3 = 0 THEN 'new' ELSE 'acknowledged' END::report_status, 'web',
       now() - (i % 400) * interval '1 day' - (i % 1440) * interval '1 minute',
       now() - (i % 400) * interval '1 day' + interval '10 days', now(), 'Generated for the queue benchmark'
FROM generate_series(1, :n) AS i,
     (SELECT array_agg(id) AS cats FROM category WHERE id = ANY(:category_ids)) c,
     (SELECT array_agg(id) AS hoods FROM neighbourhood WHERE borough = 'Brooklyn') h
""")


def timed_pairs(service, floor, repeat):
    """p50 and p95 of service and floor, sampled alternately (who goes first alternates too)."""
    service(), floor()
    samples = {service: [], floor: []}
    for i in range(repeat):
        for fn in ((service, floor) if i % 2 == 0 else (floor, service)):
            started = time.perf_counter()
            fn()
            samples[fn].append(time.perf_counter() - started)
    return [(statistics.median(times), sorted(times)[int(0.95 * (len(times) - 1))])
            for times in (samples[service], samples[floor])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        department = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        if department is None:
            sys.exit("no demo city: run `make run` (or flask --app wsgi demo load) first")
        category_ids = [c.id for c in queries.categories_for(department.id)]
        started = time.perf_counter()
        db.session.execute(FILL, {"department": department.id, "n": args.tickets, "category_ids": category_ids})
        db.session.execute(text("ANALYZE report"))
        print(f"added {args.tickets:,} open tickets to {department.name} in {time.perf_counter() - started:.1f}s "
              "(rolled back at the end)")
        pothole = db.session.scalar(select(Category.id).where(Category.code == "pothole"))
        hood = db.session.scalar(select(Neighbourhood.id).where(Neighbourhood.code == "BK0901"))
        now = datetime.now(UTC)
        scenarios = {
            "oldest first, page 1": queries.QueueFilter(department.id),
            "due soonest": queries.QueueFilter(department.id, sort="due"),
            "overdue only": queries.QueueFilter(department.id, overdue=True),
            "category": queries.QueueFilter(department.id, category_id=pothole),
            "neighbourhood": queries.QueueFilter(department.id, neighbourhood_id=hood),
            "older than 30 days, newest": queries.QueueFilter(department.id, older_than_days=30, sort="newest"),
            "page 200": queries.QueueFilter(department.id, page=200),
        }
        cursor = db.session.connection().connection.cursor()
        print(f"{'filter':<30} {'matches':>8}  {'queue_page p50/p95':>20}  {'raw SQL p50/p95':>18}  "
              "ratio (queue_page p50 / raw SQL p50)")
        for name, f in scenarios.items():
            rows, total = queries.queue_page(f, now)
            count, page = queries.queue_statements(f, now)
            sql = [str(s.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
                   for s in (count, page)]

            def raw(sql=sql):
                for statement in sql:
                    cursor.execute(statement)
                    cursor.fetchall()

            (service_p50, service_p95), (raw_p50, raw_p95) = timed_pairs(
                lambda f=f: queries.queue_page(f, now), raw, args.repeat)
            print(f"{name:<30} {total:>8,}  {service_p50 * 1e3:8.1f} /{service_p95 * 1e3:6.1f} ms  "
                  f"{raw_p50 * 1e3:7.1f} /{raw_p95 * 1e3:6.1f} ms  {service_p50 / raw_p50:5.2f}")
        db.session.rollback()


if __name__ == "__main__":
    main()
