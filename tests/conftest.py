"""Fixtures: a real PostGIS test database, migrated and holding the demo city; per-test rollback."""

import csv
import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session
from sqlalchemy import select

from seeclick import create_app
from seeclick.addresses import queries as addresses
from seeclick.categories.models import Category
from seeclick.demo import services as demo
from seeclick.departments.models import Department
from seeclick.extensions import db, limiter
from seeclick.geo import LatLon, to_db
from seeclick.reports.models import Report
from seeclick.routing import route

pytest_plugins = ["tests.browser", "tests.faults", "tests.geocoders", "tests.s3", "tests.topology"]

SHIPPED_DATA = Path(__file__).resolve().parent.parent / "seeclick" / "demo" / "data"


@pytest.fixture(scope="session")
def app():
    """The application on the test database, migrated to head with the demo city (no reports) loaded."""
    app = create_app({"TESTING": True})
    with app.app_context():
        upgrade()
        if not demo.is_loaded():
            demo.load_city()
            db.session.commit()
        elif not addresses.count():  # a test database made before the address search
            demo.load_places()
            db.session.commit()
        db.session.remove()
    return app


class ConnectionSession(Session):
    """Flask-SQLAlchemy picks an engine per bind key; in a test every statement uses the test's connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind


@pytest.fixture
def session(app):
    """A session whose work, commits included, is rolled back when the test ends."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"class_": ConnectionSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class RequestContextClient(FlaskClient):
    """Each request in an app context of its own, as in production.

    Tests keep an app context pushed for the database; without this, requests would share it
    and its `g` (Flask-WTF keeps the CSRF token there), which no real request ever does.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app, session):
    app.test_client_class = RequestContextClient
    return app.test_client()


@pytest.fixture
def cli(app, session):
    return app.test_cli_runner()


@pytest.fixture
def departments(session):
    return {d.code: d for d in session.scalars(select(Department))}


@pytest.fixture
def categories(session):
    return {c.code: c for c in session.scalars(select(Category))}


def taxlots(limit=None):
    """Real tax-lot points with the community district, precinct and NTA they lie in (the shipped copy)."""
    with gzip.open(SHIPPED_DATA / "taxlots.csv.gz", "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    return rows[:limit] if limit else rows


CROWN_HEIGHTS = LatLon(40.6782, -73.9442)  # Brooklyn: DOT Brooklyn, Sanitation Brooklyn 3, 79th Precinct


@pytest.fixture(autouse=True)
def fresh_limits(app):
    """Rate limits (sign-in throttling) start from zero in every test."""
    with app.app_context():
        limiter.reset()


PHOTO_SETTINGS = ("PHOTO_STORE", "PHOTO_DIR", "PHOTO_S3_BUCKET", "PHOTO_S3_ENDPOINT_URL", "PHOTO_S3_REGION",
                  "PHOTO_SIGNED_URLS")


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path_factory):
    """Each test's photos in a directory of its own (the local store, as a new installation keeps them)."""
    directory = tmp_path_factory.mktemp("photos")
    saved = {name: app.config[name] for name in PHOTO_SETTINGS}
    app.config.update(PHOTO_STORE="local", PHOTO_DIR=str(directory), PHOTO_S3_BUCKET="", PHOTO_SIGNED_URLS=False)
    yield directory
    app.config.update(saved)


@pytest.fixture(autouse=True)
def fresh_caches(app):
    """Nothing a process keeps (histories, counts, drawn pages) comes from an earlier test's data, nor
    anything in the shared store from an earlier test run."""
    from seeclick import caching

    caching.forget_all()
    caching.forget_shared(app.config["SHARED_CACHE_URI"])


@pytest.fixture
def make_report(session, categories):
    """create a report routed like a real one: make_report(category="pothole", where=LatLon, **overrides)."""
    def factory(category="pothole", where=CROWN_HEIGHTS, **overrides):
        values = dict(category=categories[category], location=to_db(where.to_point()), description="Deep hole",
                      department_id=route(categories[category].id, where).department_id,
                      due_at=datetime.now(UTC) + timedelta(days=3))
        values.update(overrides)
        report = Report(**values)
        session.add(report)
        session.flush()
        session.refresh(report)
        return report

    return factory


class Counted:
    """The SQL statements sent while counting, in order (SQLAlchemy's and the raw cursor's alike)."""

    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)

    def __repr__(self):
        return f"{len(self)} statements:\n" + "\n".join(s.split("\n")[0][:120] for s in self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counted:` ...; `len(counted)` statements went to the database meanwhile."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        counted = Counted()

        def record(connection, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
                counted.statements.append(statement.strip())  # (the savepoints are the tests' own rollback)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield counted
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


def csrf_token(client, path):
    """The CSRF token of the first form on the page at path, as a browser would submit it."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_department(session):
    """create a department: make_department(code="test-desk", **overrides)."""
    def factory(code="test-desk", **overrides):
        values = dict(code=code, name=f"Department {code}", agency="test")
        values.update(overrides)
        department = Department(**values)
        session.add(department)
        session.flush()
        return department

    return factory


@pytest.fixture
def make_category(session, departments):
    """create an active category a city-wide desk takes: make_category(code="test-problem", **overrides)."""
    def factory(code="test-problem", **overrides):
        values = dict(code=code, name=f"Problem {code}", description="", group="Test", keywords=[], sla_hours=72,
                      active=True, fallback_department=departments["311"])
        values.update(overrides)
        category = Category(**values)
        session.add(category)
        session.flush()
        return category

    return factory


@pytest.fixture
def make_user(session, departments):
    """create an account: make_user(role="staff", department="dot-bk", **overrides); its password is PASSWORD."""
    from seeclick.accounts.models import Role, User

    def factory(role="staff", department=None, **overrides):
        values = dict(email=f"{role}.{department or 'city'}@city.example", role=Role(role),
                      department=departments[department] if department else None, name="")
        values.update(overrides)
        user = User(**values)
        user.set_password(PASSWORD)
        session.add(user)
        session.flush()
        return user

    return factory


@pytest.fixture
def make_follower(session):
    """a confirmed follower of a report: make_follower(report, email, **overrides)."""
    from seeclick.notifications.models import Follower

    def factory(report, email, **overrides):
        values = dict(report=report, email=email, confirmed_at=datetime.now(UTC))
        values.update(overrides)
        follower = Follower(**values)
        session.add(follower)
        session.flush()
        return follower

    return factory


@pytest.fixture
def api_key(session):
    """An Open311 API key (the key itself) for a city app."""
    from seeclick.open311 import services

    return services.create_key("City app")[1]


@pytest.fixture
def login_as(client, make_user):
    """Create a person with this role (and department) and sign them in through the real form."""
    def sign_in(role, department=None, **overrides):
        user = make_user(role, department, **overrides)
        response = client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": user.email,
                                               "password": PASSWORD})
        assert response.status_code == 302
        return user

    return sign_in


def pytest_sessionfinish(session, exitstatus):
    """A skipped test is a failure: everything the tests need is in the repository, so nothing may be missing."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if terminalreporter.stats.get("skipped"):
        terminalreporter.write_line("A test was skipped, so the run fails: the tests need nothing from outside the "
                                    "repository and must never skip.", red=True)
