"""Manage the project-local PostGIS cluster under instance/.

Run with the system Python before the virtualenv exists (standard library only):

    python3 seeclick/devdb.py start      # initdb once, start, create the databases
    python3 seeclick/devdb.py stop
    python3 seeclick/devdb.py url [NAME] # print the connection URL of a database

`Cluster(directory, durable=True)` is another cluster of the same kind, for the soak and the fault
tests: fsync and synchronous commit on, as production runs, so a crash of it loses nothing committed.

The cluster listens on 127.0.0.1 only, on its own port (SEECLICK_PGPORT; by default 54329, or
a free port if that one is taken, then or at a later start), with password authentication; the
generated password and the port are kept in instance/devdb.json, which config.py reads
when DATABASE_URL is not set. PostgreSQL refuses to run as root, so a root
user (CI, a fresh container) runs the server as the system's `postgres` account.
"""

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
PGDATA = INSTANCE / "pgdata"
SETTINGS = INSTANCE / "devdb.json"
LOG = INSTANCE / "postgres.log"
DATABASES = ("seeclick", "seeclick_test")
SUPERUSER = "seeclick"


def pg_bin(name):
    """Find a PostgreSQL server program, preferring the newest installed major version."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for directory in reversed(versions):
        if (directory / name).exists():
            return str(directory / name)
    sys.exit(f"devdb: {name} not found; install PostgreSQL (make system)")


def as_server_user(argv):
    """Wrap a command so that it runs as the account that owns the cluster."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def make_reachable(path):
    """Let the postgres account traverse to PGDATA when we are root (mktemp dirs are 0700)."""
    if os.geteuid() != 0:
        return
    postgres = pwd.getpwnam("postgres")
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            print(f"devdb: allowing the postgres account to traverse {parent} (o+x)")
            parent.chmod(mode | 0o001)
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, postgres.pw_uid, postgres.pw_gid)


def write_private(path, text, owner=None):
    """Write a file that only its owner can read, from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if owner:
        shutil.chown(path, owner)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def free_port(preferred):
    """The preferred port if nothing listens there, otherwise one the system picks."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", preferred)) != 0:
            return preferred
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        return spare.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a directory of instance/: its data, settings (port, password) and log."""

    def __init__(self, directory=INSTANCE, name="pgdata", durable=False, databases=DATABASES, preferred_port=54329):
        self.directory = Path(directory)
        self.pgdata = self.directory / name
        self.settings_file = self.directory / ("devdb.json" if name == "pgdata" else f"{name}.json")
        self.log = self.directory / ("postgres.log" if name == "pgdata" else f"{name}.log")
        self.durable = durable
        self.databases = databases
        self.preferred_port = preferred_port

    def settings(self):
        return json.loads(self.settings_file.read_text())

    def url(self, name="seeclick"):
        s = self.settings()
        return f"postgresql://{SUPERUSER}:{s['password']}@127.0.0.1:{s['port']}/{name}"

    def initdb(self):
        chosen = os.environ.get("SEECLICK_PGPORT") if self.pgdata == PGDATA else None  # the development one's
        port = int(chosen or free_port(self.preferred_port))
        password = secrets.token_urlsafe(18)
        self.directory.mkdir(parents=True, exist_ok=True)
        make_reachable(self.pgdata)
        pwfile = self.directory / f"{self.pgdata.name}.pwfile"
        write_private(pwfile, password + "\n", owner="postgres" if os.geteuid() == 0 else None)
        try:
            subprocess.run(
                as_server_user([
                    pg_bin("initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--pwfile", str(pwfile),
                    "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                    "--locale=C.UTF-8",
                ]),
                check=True, stdout=subprocess.DEVNULL,
            )
        finally:
            pwfile.unlink()
        # The development cluster trades durability for speed; a durable one keeps PostgreSQL's defaults.
        speed = "" if self.durable else "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# seeclick local cluster\n"
                f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                f"{speed}"
                "shared_buffers = 512MB\nwork_mem = 32MB\nmaintenance_work_mem = 512MB\n"
                "max_wal_size = 4GB\njit = off\nmax_connections = 200\n"
            )
        write_private(self.settings_file, json.dumps({"port": port, "password": password}) + "\n")

    def running(self):
        result = subprocess.run(
            as_server_user([pg_bin("pg_ctl"), "-D", str(self.pgdata), "status"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return result.returncode == 0

    def psql(self, sql, database="postgres"):
        env = dict(os.environ, PGPASSWORD=self.settings()["password"])
        return subprocess.run(
            ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.settings()["port"]), "-U", SUPERUSER, "-d", database, "-c", sql],
            check=True, env=env, capture_output=True, text=True,
        ).stdout.strip()

    def pg_ctl(self, *args):
        if os.geteuid() == 0:
            self.log.touch()
            shutil.chown(self.log, "postgres")
        subprocess.run(as_server_user([pg_bin("pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log), *args]),
                       check=True, stdout=subprocess.DEVNULL)

    def start(self):
        if not (self.pgdata / "PG_VERSION").exists():
            print(f"devdb: creating a PostgreSQL cluster in {self.pgdata}")
            self.initdb()
        if not self.running():
            self.move_off_a_taken_port()
            make_reachable(self.pgdata)
            self.pg_ctl("-w", "-t", "60", "start")
            print(f"devdb: PostgreSQL running on 127.0.0.1:{self.settings()['port']}")
        for _ in range(50):
            try:
                self.psql("SELECT 1")
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        existing = set(self.psql("SELECT datname FROM pg_database").split())
        for name in self.databases:
            if name not in existing:
                self.psql(f'CREATE DATABASE "{name}"')
                print(f"devdb: created database {name}")
            self.psql("CREATE EXTENSION IF NOT EXISTS postgis", database=name)

    def move_off_a_taken_port(self):
        """A free port, if another server (another checkout's cluster, say) now listens on the saved one.

        The later `port` line in postgresql.conf wins; devdb.json, which config.py reads, names it too.
        """
        saved = self.settings()
        port = free_port(saved["port"])
        if port == saved["port"]:
            return
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(f"port = {port}  # {saved['port']} was taken by another server\n")
        write_private(self.settings_file, json.dumps({**saved, "port": port}) + "\n")
        print(f"devdb: port {saved['port']} is taken by another server; this cluster now listens on {port}")

    def restart(self, mode="fast"):
        """Stop the server (fast: close sessions; immediate: as a crash, recovered from the WAL) and start it."""
        self.pg_ctl("-w", "-t", "60", "-m", mode, "restart")

    def stop(self, mode="fast"):
        if self.pgdata.exists() and self.running():
            subprocess.run(as_server_user([pg_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "stop", "-m", mode]),
                           check=True, stdout=subprocess.DEVNULL)
        else:
            print("devdb: not running")


DEFAULT = Cluster()


def settings():
    return DEFAULT.settings()


def url(name="seeclick"):
    return DEFAULT.url(name)


def start():
    DEFAULT.start()


def stop():
    DEFAULT.stop()


def command_line(name, server, argv):
    """What each local server's script does: start (the default), stop, or url [DATABASE] printed."""
    command = argv[1] if len(argv) > 1 else "start"
    if command == "start":
        server.start()
    elif command == "stop":
        server.stop()
    elif command == "url":
        try:
            print(server.url(argv[2] if len(argv) > 2 else "seeclick"))
        except FileNotFoundError:
            sys.exit(f"{name}: not set up here yet; `python3 seeclick/{name}.py start` makes and starts it")
    else:
        sys.exit(f"{name}: unknown command {command!r} (start, stop, url)")


def main(argv):
    command_line("devdb", DEFAULT, argv)


if __name__ == "__main__":
    main(sys.argv)
