"""A second seeclick, acting as the city's own system: its own database in the same cluster, served by gunicorn
on a port of its own, started and stopped by the tests (a restart is a real outage of the city's system)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from seeclick import create_app
from seeclick.demo import services as demo
from seeclick.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "seeclick_city_test"
JURISDICTION = "city.example"
PASSWORD = "the city's own staff password"


def create_database(url, name: str) -> None:
    """Create the database `name` in the cluster of `url`, unless it is there."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CitySystem:
    """The city's seeclick: `url` is its GeoReport v2 endpoint; `staff` signs in to its pages as a dispatcher."""

    def __init__(self, our_app, log: Path, database: str = DATABASE):
        url = make_url(our_app.config["SQLALCHEMY_DATABASE_URI"])
        self.database_url = url.set(database=database).render_as_string(hide_password=False)
        create_database(url, database)
        self.app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": self.database_url,
                               "OPEN311_JURISDICTION": JURISDICTION})
        self.port, self.log, self.process = free_port(), log, None
        self.url = f"http://127.0.0.1:{self.port}/open311/v2"
        self.site = f"http://127.0.0.1:{self.port}"
        self._prepare()

    def _prepare(self):
        """Migrated, the demo city loaded, and nothing left of an earlier run: no reports, one key, one dispatcher."""
        from flask_migrate import upgrade

        from seeclick.accounts.models import Role, User
        from seeclick.departments.models import Department
        from seeclick.open311 import services as open311

        with self.app.app_context():
            upgrade()
            if not demo.is_loaded():
                demo.load_city()
            db.session.execute(text("TRUNCATE report, api_key, procrastinate_jobs CASCADE"))
            db.session.execute(text("DELETE FROM user_account"))
            self.api_key = open311.create_key("seeclick, the citizens' site")[1]
            dispatcher = User(email="dispatcher@city.example", role=Role.STAFF, name="City dispatcher",
                              department=db.session.query(Department).filter_by(code="dot-bk").one())
            dispatcher.set_password(PASSWORD)
            db.session.add(dispatcher)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    def start(self, options=("--workers", "1", "--threads", "4", "--timeout", "60")):
        """Serve it under gunicorn with these options (and gunicorn.conf.py, as in production)."""
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": "the city's own secret",
               "SEECLICK_OPEN311_JURISDICTION": JURISDICTION, "SEECLICK_PUBLIC_URL": self.site}
        with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", *options,
                 "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/discovery.json", timeout=(2, 20)).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()  # never left running behind a failed start
        raise RuntimeError(f"the city's seeclick did not start; see {self.log}")

    def stop(self):
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None

    def get(self, path: str):
        answer = requests.get(f"{self.url}/{path}", timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def staff(self) -> "CityDispatcher":
        return CityDispatcher(self.site)


class CityDispatcher:
    """A dispatcher of the city, working its queue in its own pages, as a person would."""

    def __init__(self, site: str):
        self.site, self.http = site, requests.Session()
        token = self._token("/login")
        answer = self.http.post(f"{site}/login", data={"csrf_token": token, "email": "dispatcher@city.example",
                                                       "password": PASSWORD}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text

    def _token(self, path: str) -> str:
        page = self.http.get(f"{self.site}{path}", timeout=10).text
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]

    def act(self, number: str, action: str, note: str, **fields):
        """Apply an action to ticket `number` from its page (acknowledge, start, close with resolution=...)."""
        page = self.http.get(f"{self.site}/staff/reports/{number}", timeout=10).text
        version = re.search(r'name="version" value="(\d+)"', page)[1]
        answer = self.http.post(f"{self.site}/staff/reports/{number}/{action}", timeout=10, allow_redirects=False,
                                data={"csrf_token": self._token(f"/staff/reports/{number}"), "version": version,
                                      "note": note, **fields})
        assert answer.status_code in (302, 303), answer.text[:2000]

    def note(self, number: str, note: str):
        answer = self.http.post(f"{self.site}/staff/reports/{number}/notes", timeout=10, allow_redirects=False,
                                data={"csrf_token": self._token(f"/staff/reports/{number}"), "note": note,
                                      "public": "y"})
        assert answer.status_code in (302, 303), answer.text[:2000]
