"""The job queue: procrastinate on the application's own PostgreSQL.

Jobs are queued by the database itself (a trigger on the notification outbox), in the same
transaction as the change they serve; `flask jobs worker` runs them. Tasks are plain
functions run inside an application context of their own.
"""

import asyncio
import contextlib
import functools
import logging
import signal
import time

from procrastinate import App, PsycopgConnector
from sqlalchemy import text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

TASK_MODULES = ["seeclick.notifications.tasks", "seeclick.photos.tasks", "seeclick.stats.tasks",
                "seeclick.publicmap.tasks", "seeclick.privacy.tasks", "seeclick.questionnaires.tasks",
                "seeclick.delivery.tasks"]

queue = App(connector=PsycopgConnector(), import_paths=TASK_MODULES)
_flask_app = None


def conninfo(sqlalchemy_url: str) -> str:
    """The libpq URL of the application's database (procrastinate speaks psycopg 3)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def bind(flask_app):
    """Run tasks in this application; a connector to its database, for the worker.

    The worker LISTENs, which a pooler in transaction mode cannot carry (the next transaction may run on
    another server connection): it connects to DIRECT_DATABASE_URL when DATABASE_URL names a pooler.
    Without that setting DATABASE_URL may still be one, so psycopg never prepares statements on the
    server then (it would after a few runs of the same query), since the next client of that server
    connection would find them, or not find its own.
    """
    global _flask_app
    _flask_app = flask_app
    queue.perform_import_paths()
    direct = flask_app.config.get("DIRECT_DATABASE_URL")
    if direct:
        return PsycopgConnector(conninfo=conninfo(direct))
    return PsycopgConnector(conninfo=conninfo(flask_app.config["SQLALCHEMY_DATABASE_URI"]),
                            kwargs={"prepare_threshold": None})


def in_app_context(function):
    """Run a task inside an application context of its own, as a request would."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        if _flask_app is None:
            raise RuntimeError("The job queue is not bound to an application: run it with `flask jobs worker`.")
        with _flask_app.app_context():
            return function(*args, **kwargs)

    return run


WORKER_OPTIONS = {"delete_jobs": "successful"}
# Waits before starting again after the worker lost the database: 1, 2, 4 ... 10 seconds.
RESTART_WAIT, RESTART_WAIT_MAX = 1.0, 10.0


RECORD_RUN = text("""
    INSERT INTO job_run (task, finished_at) VALUES (:task, now())
    ON CONFLICT (task) DO UPDATE SET finished_at = excluded.finished_at
""")


def record_run(task: str) -> None:
    """Note, in the caller's transaction, that a periodic job did its work (read by /healthz)."""
    from seeclick.extensions import db

    db.session.execute(RECORD_RUN, {"task": task})


def run_worker(flask_app, once: bool = False, concurrency: int = 2):
    """Work the queue until SIGTERM or SIGINT, through database restarts; with once=True, run what is
    due and return (cron, tests)."""
    if once:
        with queue.replace_connector(bind(flask_app)):
            queue.run_worker(wait=False, install_signal_handlers=False, concurrency=concurrency, **WORKER_OPTIONS)
        return
    asyncio.run(work_until_stopped(flask_app, concurrency))


async def work_until_stopped(flask_app, concurrency: int) -> None:
    """Run procrastinate's worker, and run it again whenever it stops without being asked to.

    When PostgreSQL restarts, procrastinate's worker loses its LISTEN connection, stops its side
    tasks and returns as if it had been told to stop (or raises, if a query failed first). Either
    way we wait a little, open a new pool and start again, until the database answers; a signal
    stops the worker gracefully, letting running jobs finish.
    """
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    wait = RESTART_WAIT
    while not stopping.is_set():
        started = time.monotonic()
        try:
            with queue.replace_connector(bind(flask_app)):
                async with queue.open_async():
                    worker = asyncio.create_task(queue.run_worker_async(
                        install_signal_handlers=False, concurrency=concurrency, **WORKER_OPTIONS))
                    asked = asyncio.create_task(stopping.wait())
                    await asyncio.wait({worker, asked}, return_when=asyncio.FIRST_COMPLETED)
                    if stopping.is_set():
                        worker.cancel()  # procrastinate turns this into a graceful stop
                        with contextlib.suppress(asyncio.CancelledError):
                            await worker
                        return
                    asked.cancel()
                    worker.result()  # raises what stopped it, if anything did
                    reason = "it lost its connection to the database"
        except Exception as error:  # the database is down or restarting: the next round waits for it
            reason = f"{type(error).__name__}: {error}"
        if time.monotonic() - started > 60:
            wait = RESTART_WAIT  # it had been working: this is a new outage
        log.warning("jobs: the worker stopped (%s); starting it again in %.0f s", reason, wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), wait)
        wait = min(wait * 2, RESTART_WAIT_MAX)
