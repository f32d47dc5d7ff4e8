"""Manage the project-local PgBouncer under instance/, the pooler in front of the PostGIS cluster.

Run with the system Python before the virtualenv exists (standard library only):

    python3 seeclick/devpgbouncer.py start       # write its configuration, start it (the cluster first)
    python3 seeclick/devpgbouncer.py stop
    python3 seeclick/devpgbouncer.py url [NAME]  # print the URL of a database through the pooler

Transaction pooling, as in production (docs/production.md): a client holds a server connection only
for the length of a transaction, so many app processes share a few PostgreSQL backends. Nothing may
outlive a transaction on such a connection (session SET, LISTEN, advisory locks, temporary tables,
server-side prepared statements); the job worker and migrations connect directly instead.

Like the cluster behind it (devdb.py): loopback only, its own port (SEECLICK_PGBOUNCER_PORT; by default
64329, or a free port if that one is taken), kept in instance/devpgbouncer.json. Clients sign in as the
cluster's own user with its password (SCRAM), from a userlist written from instance/devdb.json, which
PgBouncer also uses to sign in to PostgreSQL. PgBouncer refuses to run as root, so a root user runs it
as the system's `postgres` account, as the cluster.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

try:
    from seeclick import devdb
except ImportError:  # run as a script by the system Python, before the virtualenv exists
    import devdb

SERVER_CONNECTIONS = 20  # per database; PostgreSQL allows 200 (devdb.py), the worker and tools the rest


def server():
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if not found:
        sys.exit("devpgbouncer: pgbouncer not found; install it (make system)")
    return found


class Pooler:
    """A PgBouncer in a directory of instance/ in front of one cluster: its configuration, port and log."""

    def __init__(self, cluster=devdb.DEFAULT, name="pgbouncer", preferred_port=64329,
                 server_connections=SERVER_CONNECTIONS):
        self.cluster = cluster
        self.directory = cluster.directory / name
        self.settings_file = cluster.directory / ("devpgbouncer.json" if name == "pgbouncer" else f"{name}.json")
        self.log = cluster.directory / f"{name}.log"
        self.conf = self.directory / "pgbouncer.ini"
        self.userlist = self.directory / "userlist.txt"
        self.pidfile = self.directory / "pgbouncer.pid"
        self.preferred_port = preferred_port
        self.server_connections = server_connections

    def settings(self):
        return json.loads(self.settings_file.read_text())

    def port(self):
        return self.settings()["port"]

    def url(self, name="seeclick"):
        password = self.cluster.settings()["password"]
        return f"postgresql://{devdb.SUPERUSER}:{password}@127.0.0.1:{self.port()}/{name}"

    def configure(self):
        """Write the configuration afresh (the cluster's port and password may have changed since)."""
        chosen = os.environ.get("SEECLICK_PGBOUNCER_PORT") if self.settings_file.name == "devpgbouncer.json" else None
        # The port it had, unless something else took it while it was stopped.
        port = int(chosen or devdb.free_port(self.port() if self.settings_file.exists() else self.preferred_port))
        owner = "postgres" if os.geteuid() == 0 else None
        devdb.make_reachable(self.directory)
        cluster = self.cluster.settings()
        devdb.write_private(self.userlist, f'"{devdb.SUPERUSER}" "{cluster["password"]}"\n', owner=owner)
        devdb.write_private(self.conf, (
            "; seeclick local PgBouncer: transaction pooling in front of the local cluster\n"
            "[databases]\n"
            f"* = host=127.0.0.1 port={cluster['port']}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = scram-sha-256\nauth_file = {self.userlist}\n"
            f"admin_users = {devdb.SUPERUSER}\nstats_users = {devdb.SUPERUSER}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.server_connections}\nmin_pool_size = 0\nreserve_pool_size = 0\n"
            "max_client_conn = 1000\n"
            # Session state is never reset between clients: the application must not leave any (see above).
            "server_reset_query =\nserver_reset_query_always = 0\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.log}\npidfile = {self.pidfile}\n"
        ), owner=owner)
        if owner:  # PgBouncer, as postgres, may not create files in instance/
            self.log.touch()
            shutil.chown(self.log, owner)
        devdb.write_private(self.settings_file, json.dumps({"port": port}) + "\n")

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port()), timeout=1):
                return True
        except (OSError, FileNotFoundError):
            return False

    def pid(self):
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def running(self):
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return self.answers()

    def start(self):
        self.cluster.start()
        if self.running():
            return
        self.configure()
        subprocess.run(devdb.as_server_user([server(), "-d", str(self.conf)]), check=True, stdout=subprocess.DEVNULL)
        for _ in range(100):
            if self.answers():
                print(f"devpgbouncer: PgBouncer running on 127.0.0.1:{self.port()}")
                return
            time.sleep(0.05)
        sys.exit(f"devpgbouncer: PgBouncer did not start; see {self.log}")

    def stop(self):
        if not self.running():
            print("devpgbouncer: not running")
            return
        os.kill(self.pid(), 15)
        for _ in range(100):
            if not self.answers():
                return
            time.sleep(0.05)


DEFAULT = Pooler()


def main(argv):
    devdb.command_line("devpgbouncer", DEFAULT, argv)


if __name__ == "__main__":
    main(sys.argv)
