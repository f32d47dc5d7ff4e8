"""Sending reports to the city's own system and reading its changes back, against a second seeclick.

    .venv/bin/python bench/city.py [--reports 400] [--changes 50]

Both sides are databases of their own in the local cluster (seeclick_city_bench_here and
seeclick_city_bench_city, made and migrated on the first run, the demo city loaded, their reports
emptied each run); the city's side is served by gunicorn (one worker, four threads) as in
tests/city.py. This side files reports with the submission's own code and its worker sends them
(`flask jobs worker --once`, concurrency 2); halfway, the city's system is stopped, the next half is
filed and fails once each, then it is started again and the retries send them. Then the city's
dispatcher closes some of them in its own pages, and one run of the every-minute read brings the
changes back. Printed: the figures of `flask cities status`, how long each phase took, and beside the
sending, its floor: the same forms posted straight to the city's endpoint, one after another, by
requests (what the worker adds is the queue, the lock and the bookkeeping).
"""

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from seeclick import create_app, jobs  # noqa: E402
from seeclick.categories.models import Category  # noqa: E402
from seeclick.delivery import queries, services  # noqa: E402
from seeclick.delivery.models import ReportSend, SendMethod  # noqa: E402
from seeclick.demo import services as demo  # noqa: E402
from seeclick.demo.generate import load_taxlots  # noqa: E402
from seeclick.extensions import db  # noqa: E402
from seeclick.geo import LatLon  # noqa: E402
from seeclick.open311.client import Outgoing, request_form  # noqa: E402
from seeclick.reports.submission import Draft, submit  # noqa: E402
from tests.city import JURISDICTION, CitySystem, create_database  # noqa: E402

HERE, CITY = "seeclick_city_bench_here", "seeclick_city_bench_city"


def here_app():
    from flask_migrate import upgrade

    base = create_app()
    url = make_url(base.config["SQLALCHEMY_DATABASE_URI"])
    create_database(url, HERE)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url.set(database=HERE).render_as_string(hide_password=False)})
    with app.app_context():
        upgrade()
        db.session.execute(text("TRUNCATE report, procrastinate_jobs CASCADE"))
        db.session.execute(text("UPDATE category SET send_method = NULL, city_system_id = NULL"))
        db.session.execute(text("UPDATE department SET send_method = 'mail', city_system_id = NULL"))
        db.session.execute(text("DELETE FROM city_system"))
        if not demo.is_loaded():
            demo.load_city()
        db.session.commit()
    return app


def places(count):
    """Real tax-lot points in Brooklyn's DOT area (potholes there go to dot-bk on both sides)."""
    points = [(lon, lat) for lon, lat in load_taxlots() if lat < 40.70 and -73.98 < lon < -73.90][:count]
    return [LatLon(lat, lon) for lon, lat in points]


def work(app):
    worker = threading.Thread(target=jobs.run_worker, args=(app,), kwargs={"once": True, "concurrency": 2})
    worker.start()
    worker.join()


def file(app, where_list, start):
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        for n, where in enumerate(where_list, start=start):
            submit(Draft(category_id=pothole.id, where=where, description=f"Benchmark pothole {n}",
                         address=f"{n} Eastern Pkwy", answers={"size": ["large"]}, submission_key=f"bench-{n}"))
        db.session.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=400)
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    app = here_app()
    city = CitySystem(app, Path("/tmp/seeclick-bench-city.log"), database=CITY)
    city.start()
    try:
        run(app, city, args)
    finally:
        city.stop()


def run(app, city, args):
    with app.app_context():
        system = services.save_system("city", "The city's 311 system", city.url, api_key=city.api_key,
                                      jurisdiction_id=JURISDICTION)
        services.set_send_method(db.session.scalar(select(Category).where(Category.code == "pothole")),
                                 SendMethod.OPEN311, system)
        db.session.commit()
    points = places(args.reports + 50)
    half = args.reports // 2

    http = requests.Session()  # the floor: the same forms straight to the city, one after another
    began = time.perf_counter()
    for n, where in enumerate(points[args.reports:]):
        form = request_form(Outgoing("pothole", where.lat, where.lon, address=f"{n} Floor St",
                                     description=f"Floor {n}", answers={"size": ["large"]}),
                            JURISDICTION, city.api_key)
        assert http.post(f"{city.url}/requests.xml", data=form, timeout=30).status_code == 200
    floor = (time.perf_counter() - began) / 50

    file(app, points[:half], 0)
    began = time.perf_counter()
    work(app)
    first = time.perf_counter() - began

    city.stop()
    file(app, points[half:args.reports], half)
    began = time.perf_counter()
    work(app)
    down = time.perf_counter() - began
    city.start()
    with app.app_context():
        db.session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
        db.session.commit()
    began = time.perf_counter()
    work(app)
    retried = time.perf_counter() - began

    with app.app_context():
        numbers = db.session.scalars(select(ReportSend.external_id).where(ReportSend.external_id.is_not(None))
                                     .order_by(ReportSend.id).limit(args.changes)).all()
    dispatcher = city.staff()
    for number in numbers:
        dispatcher.act(number, "acknowledge", "Crew booked")
        dispatcher.act(number, "close", "Filled and rolled", resolution="fixed")
    with app.app_context():
        began = time.perf_counter()
        system = queries.lock_system(queries.system_ids_to_check()[0])
        applied = services.check(system)
        db.session.commit()
        read = time.perf_counter() - began
        again = services.check(queries.lock_system(system.id))
        db.session.commit()
        [row] = queries.figures()

    print(f"{args.reports} reports filed, {half} with the city's system up, {args.reports - half} while it was down")
    print(f"sent {row.sent}, waiting {row.pending}, failed {row.failed}; sent after a retry {row.retried} "
          f"({row.retries} retries); updates applied {row.applied} ({applied} in one read of "
          f"{2 * len(numbers)} changes, {again} on reading again)")
    print(f"sending, city up:   {half / first:6.1f} reports/s ({1000 * first / half:.1f} ms each; floor, the "
          f"same POST straight to the city: {1000 * floor:.1f} ms, {1000 * first / half / (1000 * floor):.2f}x)")
    print(f"sending, city down: {args.reports - half} failed attempts in {down:.1f} s; after its restart "
          f"{(args.reports - half) / retried:.1f} reports/s")
    print(f"reading back: {2 * len(numbers)} changes read and applied in {1000 * read:.0f} ms")


if __name__ == "__main__":
    main()
