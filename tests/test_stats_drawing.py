"""The dashboard under concurrent requests: drawn once per fold in a process, the figures of the fold before
shown (with their own time) while the new ones are drawn, and never figures more than two folds old.

Real threads, each request on its own connection to the test database: what they read is committed
(reports, folds) and removed afterwards, the fold time put back as it was.
"""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text

from seeclick import caching
from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.geo import to_db
from seeclick.neighbourhoods import views as neighbourhood_views
from seeclick.reports.models import Report, Status
from seeclick.routing import route
from seeclick.stats import queries, rendered, services
from seeclick.stats import views as stats_views
from seeclick.words import when
from tests.conftest import CROWN_HEIGHTS, RequestContextClient

MARK = "Drawn once under load"
WAIT = 20  # seconds a held drawing waits for the other requests at most (a broken build fails, not hangs)


@pytest.fixture
def city(app):
    """Committed reports and folds: city.report() adds one, city.fold(at) folds at `at`; all undone afterwards."""
    with app.app_context():
        before = db.session.scalar(text("SELECT folded_at FROM stats_state"))
        start = db.session.scalar(text("SELECT greatest(now() - interval '30 minutes', :before)"),
                                  {"before": before})

    class City:
        at = start

        def report(self):
            with app.app_context():
                pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
                made = self.at - timedelta(days=3)
                db.session.add(Report(category=pothole, location=to_db(CROWN_HEIGHTS.to_point()), description=MARK,
                                      department_id=route(pothole.id, CROWN_HEIGHTS).department_id,
                                      created_at=made, status=Status.FIXED, closed_at=made + timedelta(days=1),
                                      due_at=made + timedelta(days=3)))
                db.session.commit()

        def fold(self, later=timedelta(0)):
            """Fold at `later` after the last fold; the fold time, as the pages read it."""
            self.at += later
            with app.app_context():
                services.fold(self.at)
                db.session.commit()
                return queries.folded_at()

    yield City()
    with app.app_context():
        db.session.execute(delete(Report).where(Report.description == MARK))
        services.rebuild(before)  # the rollups of the reports left (none), at the fold time they had
        db.session.commit()


def get(app, path="/stats"):
    app.test_client_class = RequestContextClient
    response = app.test_client().get(path)
    return response.status_code, response.get_data(as_text=True)


def shown(app, page):
    """(reports, as of) as the dashboard says them."""
    reports = page.split("<dt>Reports</dt><dd>", 1)[1].split("</dd>", 1)[0]
    return int(reports), page.split("Figures as of ", 1)[1].split(".</p>", 1)[0]


def as_of(app, moment):
    with app.test_request_context():
        return when(moment)


class Held:
    """The dashboard's drawing, counted, held until release() (or WAIT seconds) once it has begun."""

    def __init__(self, monkeypatch, module=stats_views, name="_dashboard"):
        self.draws, self.begun, self.released = 0, threading.Event(), threading.Event()
        self._lock = threading.Lock()
        real = getattr(module, name)

        def counted(*args):
            with self._lock:
                self.draws += 1
            self.begun.set()
            self.released.wait(WAIT)
            return real(*args)

        monkeypatch.setattr(module, name, counted)

    def release(self):
        self.released.set()


def in_threads(count, target):
    answers = [None] * count

    def run(i):
        answers[i] = target()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    return threads, answers


def complete(status, page):
    return status == 200 and "How fast the city answers" in page and page.rstrip().endswith("</html>")


def test_a_new_process_draws_the_dashboard_once_however_many_ask_at_once(app, city, monkeypatch):
    city.report()
    folded = city.fold()
    held = Held(monkeypatch)
    asked, lock = [], threading.Lock()
    read = queries.folded_at

    def folded_at():  # each request reads the fold time just before it asks for the dashboard
        with lock:
            asked.append(1)
            if len(asked) == 6:
                threading.Timer(0.3, held.release).start()  # all six asked: let the one drawing go on
        return read()

    monkeypatch.setattr(queries, "folded_at", folded_at)
    threads, answers = in_threads(6, lambda: get(app))
    for t in threads:
        t.join(WAIT * 2)
    assert held.draws == 1
    assert all(complete(*a) for a in answers)
    assert {shown(app, page) for _, page in answers} == {(1, as_of(app, folded))}


def test_after_a_fold_one_request_draws_the_new_figures_and_the_others_see_the_last_ones_meanwhile(
        app, city, monkeypatch):
    city.report()
    first = city.fold()
    assert shown(app, get(app)[1]) == (1, as_of(app, first))  # this process has the dashboard drawn
    city.report()
    second = city.fold(timedelta(minutes=1))
    held = Held(monkeypatch)
    drawing, drawn = in_threads(1, lambda: get(app))
    assert held.begun.wait(WAIT)
    others, answers = in_threads(5, lambda: get(app))
    for t in others:
        t.join(WAIT)
    held.release()
    drawing[0].join(WAIT)
    assert held.draws == 1
    assert all(complete(*a) for a in answers + drawn)
    # Answered while the new figures were being drawn: the last ones, with their own time.
    assert {shown(app, page) for _, page in answers} == {(1, as_of(app, first))}
    assert shown(app, drawn[0][1]) == (2, as_of(app, second))  # who asked first after the fold sees it
    assert shown(app, get(app)[1]) == (2, as_of(app, second)) and held.draws == 1  # and everyone after


def test_a_fold_during_a_slow_drawing_does_not_start_a_second_one_beside_it(app, city, monkeypatch):
    city.report()
    first = city.fold()
    get(app)
    city.report()
    city.fold(timedelta(minutes=1))
    held = Held(monkeypatch)
    drawing, _ = in_threads(1, lambda: get(app))
    assert held.begun.wait(WAIT)
    city.report()
    third = city.fold(timedelta(minutes=1))  # the job ran again before that drawing ended
    others, answers = in_threads(3, lambda: get(app))
    for t in others:
        t.join(WAIT)
    assert held.draws == 1  # the newest figures wait until the drawing under way has ended
    assert {shown(app, page) for _, page in answers} == {(1, as_of(app, first))}
    held.release()
    drawing[0].join(WAIT)
    assert shown(app, get(app)[1]) == (3, as_of(app, third)) and held.draws == 2


def test_figures_more_than_two_folds_old_are_not_shown_in_place_of_new_ones(app, city, monkeypatch):
    city.report()
    first = city.fold()
    assert shown(app, get(app)[1]) == (1, as_of(app, first))
    city.report()
    later = city.fold(rendered.STALE_AT_MOST + timedelta(minutes=1))  # no request here for three folds
    held = Held(monkeypatch)
    drawing, drawn = in_threads(1, lambda: get(app))
    assert held.begun.wait(WAIT)
    others, answers = in_threads(3, lambda: get(app))
    for t in others:
        t.join(0.5)  # given the time to answer, were they answered with the old copy
    held.release()
    for t in drawing + others:
        t.join(WAIT)
    assert held.draws == 1
    assert all(complete(*a) for a in answers + drawn)
    assert {shown(app, page) for _, page in answers + drawn} == {(2, as_of(app, later))}  # they waited for it


def test_a_neighbourhood_page_is_drawn_once_however_many_ask_at_once(app, city, monkeypatch):
    city.report()
    city.fold()
    held = Held(monkeypatch, neighbourhood_views, "_here")
    drawing, drawn = in_threads(1, lambda: get(app, "/neighbourhoods/BK0802"))
    assert held.begun.wait(WAIT)
    others, answers = in_threads(4, lambda: get(app, "/neighbourhoods/BK0802"))
    threading.Timer(0.3, held.release).start()
    for t in drawing + others:
        t.join(WAIT * 2)
    assert held.draws == 1
    assert all(status == 200 and "Crown Heights (North)" in page for status, page in answers + drawn)


def test_a_process_keeps_a_bounded_number_of_neighbourhood_pages_and_one_fold_of_each(app, city, client,
                                                                                       monkeypatch):
    """A busy neighbourhood's page is about 220 KB: a process keeps the pages seen lately, never all of them,
    and a page drawn for a new fold takes the place of its last one."""
    caching.forget_all()
    draws, draw = [], neighbourhood_views._here
    monkeypatch.setattr(neighbourhood_views, "_here", lambda n, folded: draws.append(n.code) or draw(n, folded))
    city.report()
    first = city.fold()
    for _ in range(2):
        assert client.get("/neighbourhoods/BK0802").status_code == 200
    assert draws == ["BK0802"]  # kept
    assert city.fold(timedelta(minutes=1)) != first
    assert client.get("/neighbourhoods/BK0802").status_code == 200
    assert draws == ["BK0802"] * 2  # drawn again for the new figures
    assert len(rendered._neighbourhoods) == 1  # and the earlier fold's page dropped
    with app.app_context():
        codes = db.session.scalars(text("SELECT code FROM neighbourhood ORDER BY code")).all()
    assert len(codes) > rendered.NEIGHBOURHOODS_KEPT
    for code in codes[:rendered.NEIGHBOURHOODS_KEPT + 10]:
        assert client.get(f"/neighbourhoods/{code}").status_code == 200
    assert len(rendered._neighbourhoods) == rendered.NEIGHBOURHOODS_KEPT


def test_when_a_build_fails_one_of_those_waiting_for_it_builds_it_instead():
    kept = caching.Kept("a test's values")
    begun, go_on, failed, builds = threading.Event(), threading.Event(), threading.Event(), []

    def failing():
        begun.set()
        go_on.wait(WAIT)
        failed.set()
        raise RuntimeError("the database went away")

    def building():
        builds.append("after the failure" if failed.is_set() else "beside the first build")
        return "value"

    def first():
        with pytest.raises(RuntimeError):
            kept.get("key", failing)

    failing_thread = threading.Thread(target=first)
    failing_thread.start()
    assert begun.wait(WAIT)
    waiting, answers = in_threads(3, lambda: kept.get("key", building))
    threading.Timer(0.3, go_on.set).start()
    for t in [failing_thread, *waiting]:
        t.join(WAIT * 2)
    assert answers == ["value"] * 3 and builds == ["after the failure"]
