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
from seeclick.demo import services as demo
from seeclick.extensions import db, limiter
from seeclick.geo import LatLon, to_db
from seeclick.models import Category, Department, Report
from seeclick.routing import route

pytest_plugins = ["tests.browser"]

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


@pytest.fixture(autouse=True)
def fresh_histories():
    """What to expect comes from each test's own reports, never from histories kept in an earlier test."""
    from seeclick.reports import submission

    submission.forget_histories()


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


def csrf_token(client, path):
    """The CSRF token of the first form on the page at path, as a browser would submit it."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


@pytest.fixture
def login_as(client, session, departments):
    """Create a person with this role (and department) and sign them in through the real form."""
    def sign_in(role, department=None):
        from seeclick.accounts import services as accounts
        from seeclick.models import Role, User

        email = f"{role}.{department or 'city'}@city.example"
        accounts.create_user(email, "correct horse battery staple", Role(role),
                             departments[department] if department else None)
        session.flush()
        response = client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": email,
                                               "password": "correct horse battery staple"})
        assert response.status_code == 302
        return session.scalar(select(User).where(User.email == email))

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
