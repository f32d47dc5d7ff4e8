"""The job worker keeps working through PostgreSQL restarts, and the supervisor brings it back from kill -9."""

import subprocess
import sys

from sqlalchemy import text

from tests.faults import BIN, queue_mail, service_env, start, stop, wait_until

WORKER = [str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"]


def test_the_worker_sends_mail_again_after_postgresql_restarts(durable_cluster, durable_engine, inbox):
    worker = start(WORKER, service_env(durable_cluster, inbox))
    try:
        queue_mail(durable_engine, "faults-1", "Before the restart")
        assert wait_until(lambda: "Before the restart" in inbox.subjects(), 30)

        durable_cluster.restart("fast")  # every session is closed, the LISTEN connection with them
        queue_mail(durable_engine, "faults-2", "After a restart")
        assert wait_until(lambda: "After a restart" in inbox.subjects(), 40)

        durable_cluster.restart("immediate")  # as a crash: recovered from the WAL on start
        queue_mail(durable_engine, "faults-3", "After a crash")
        assert wait_until(lambda: "After a crash" in inbox.subjects(), 40)
        assert worker.poll() is None, "the worker exited"
    finally:
        output = stop(worker)
    assert worker.returncode == 0, output  # SIGTERM: a graceful stop
    assert "starting it again" in output
    assert sorted(inbox.subjects()) == ["After a crash", "After a restart", "Before the restart"]  # each once


def test_the_supervisor_starts_the_worker_again_after_kill_9(durable_cluster, durable_engine, inbox):
    supervisor = start([sys.executable, "-m", "seeclick.supervise", "--keep", " ".join(WORKER), "--",
                        sys.executable, "-c", "import time; time.sleep(600)"], service_env(durable_cluster, inbox))

    def worker_pids():
        with durable_engine.connect() as connection:  # each worker registers itself while it runs
            return connection.execute(text("SELECT count(*) FROM procrastinate_workers "
                                           "WHERE last_heartbeat > now() - interval '15 seconds'")).scalar()

    try:
        queue_mail(durable_engine, "faults-4", "First worker")
        assert wait_until(lambda: "First worker" in inbox.subjects(), 30)
        pid = int(subprocess.run(["pgrep", "-f", "-P", str(supervisor.pid), "jobs worker"], capture_output=True,
                                 text=True, check=True).stdout.split()[0])
        subprocess.run(["kill", "-9", str(pid)], check=True)
        queue_mail(durable_engine, "faults-5", "Second worker")
        assert wait_until(lambda: "Second worker" in inbox.subjects(), 40)
        assert wait_until(lambda: worker_pids() >= 1, 15)
        assert supervisor.poll() is None
    finally:
        output = stop(supervisor)
    assert "exited with status -9; starting it again" in output
