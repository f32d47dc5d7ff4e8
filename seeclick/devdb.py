"""Manage the project-local PostGIS cluster under instance/.

Run with the system Python before the virtualenv exists (standard library only):

    python3 seeclick/devdb.py start      # initdb once, start, create the databases
    python3 seeclick/devdb.py stop
    python3 seeclick/devdb.py url [NAME] # print the connection URL of a database

The cluster listens on 127.0.0.1 only, on its own port (SEECLICK_PGPORT; by default 54329, or
a free port if that one is taken), with password authentication; the generated password and the
port are kept in instance/devdb.json, which config.py reads
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


def settings():
    return json.loads(SETTINGS.read_text())


def url(name="seeclick"):
    s = settings()
    return f"postgresql://{SUPERUSER}:{s['password']}@127.0.0.1:{s['port']}/{name}"


def free_port(preferred):
    """The preferred port if nothing listens there, otherwise one the system picks."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", preferred)) != 0:
            return preferred
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        return spare.getsockname()[1]


def initdb():
    port = int(os.environ.get("SEECLICK_PGPORT") or free_port(54329))
    password = secrets.token_urlsafe(18)
    INSTANCE.mkdir(exist_ok=True)
    make_reachable(PGDATA)
    pwfile = INSTANCE / "pwfile"
    write_private(pwfile, password + "\n", owner="postgres" if os.geteuid() == 0 else None)
    try:
        subprocess.run(
            as_server_user([
                pg_bin("initdb"), "-D", str(PGDATA), "-U", SUPERUSER, "--pwfile", str(pwfile),
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8",
            ]),
            check=True, stdout=subprocess.DEVNULL,
        )
    finally:
        pwfile.unlink()
    with open(PGDATA / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# seeclick local cluster\n"
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "shared_buffers = 512MB\nwork_mem = 32MB\nmaintenance_work_mem = 512MB\n"
            "max_wal_size = 4GB\njit = off\nmax_connections = 200\n"
        )
    write_private(SETTINGS, json.dumps({"port": port, "password": password}) + "\n")


def running():
    result = subprocess.run(
        as_server_user([pg_bin("pg_ctl"), "-D", str(PGDATA), "status"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return result.returncode == 0


def psql(sql, database="postgres"):
    env = dict(os.environ, PGPASSWORD=settings()["password"])
    return subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
         "-p", str(settings()["port"]), "-U", SUPERUSER, "-d", database, "-c", sql],
        check=True, env=env, capture_output=True, text=True,
    ).stdout.strip()


def start():
    if not (PGDATA / "PG_VERSION").exists():
        print(f"devdb: creating a PostgreSQL cluster in {PGDATA}")
        initdb()
    if not running():
        make_reachable(PGDATA)
        if os.geteuid() == 0:
            LOG.touch()
            shutil.chown(LOG, "postgres")
        subprocess.run(
            as_server_user([pg_bin("pg_ctl"), "-D", str(PGDATA), "-l", str(LOG), "-w", "-t", "60", "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        print(f"devdb: PostgreSQL running on 127.0.0.1:{settings()['port']}")
    for _ in range(50):
        try:
            psql("SELECT 1")
            break
        except subprocess.CalledProcessError:
            time.sleep(0.2)
    existing = set(psql("SELECT datname FROM pg_database").split())
    for name in DATABASES:
        if name not in existing:
            psql(f'CREATE DATABASE "{name}"')
            print(f"devdb: created database {name}")
        psql("CREATE EXTENSION IF NOT EXISTS postgis", database=name)


def stop():
    if PGDATA.exists() and running():
        subprocess.run(as_server_user([pg_bin("pg_ctl"), "-D", str(PGDATA), "-w", "stop", "-m", "fast"]), check=True)
    else:
        print("devdb: not running")


def main(argv):
    command = argv[1] if len(argv) > 1 else "start"
    if command == "start":
        start()
    elif command == "stop":
        stop()
    elif command == "url":
        print(url(argv[2] if len(argv) > 2 else "seeclick"))
    else:
        sys.exit(f"devdb: unknown command {command!r} (start, stop, url)")


if __name__ == "__main__":
    main(sys.argv)
