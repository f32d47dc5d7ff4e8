"""The job queue: procrastinate on the application's own PostgreSQL.

Jobs are queued by the database itself (a trigger on the notification outbox), in the same
transaction as the change they serve; `flask jobs worker` runs them. Tasks are plain
functions run inside an application context of their own.
"""

import functools

from procrastinate import App, PsycopgConnector
from sqlalchemy.engine import make_url

TASK_MODULES = ["seeclick.notifications.tasks", "seeclick.photos.tasks", "seeclick.stats.tasks",
                "seeclick.publicmap.tasks", "seeclick.privacy.tasks", "seeclick.questionnaires.tasks"]

queue = App(connector=PsycopgConnector(), import_paths=TASK_MODULES)
_flask_app = None


def conninfo(sqlalchemy_url: str) -> str:
    """The libpq URL of the application's database (procrastinate speaks psycopg 3)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def bind(flask_app):
    """Run tasks in this application; a connector to its database, for the worker."""
    global _flask_app
    _flask_app = flask_app
    queue.perform_import_paths()
    return PsycopgConnector(conninfo=conninfo(flask_app.config["SQLALCHEMY_DATABASE_URI"]))


def in_app_context(function):
    """Run a task inside an application context of its own, as a request would."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        if _flask_app is None:
            raise RuntimeError("The job queue is not bound to an application: run it with `flask jobs worker`.")
        with _flask_app.app_context():
            return function(*args, **kwargs)

    return run


def run_worker(flask_app, once: bool = False, concurrency: int = 2):
    """Work the queue; with once=True, run what is due and return (cron, tests)."""
    with queue.replace_connector(bind(flask_app)):
        queue.run_worker(wait=not once, install_signal_handlers=not once, concurrency=concurrency,
                         delete_jobs="successful")
