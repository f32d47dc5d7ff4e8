"""Back up the whole database (reports, updates, photos, accounts, the job queue) with pg_dump, and restore it.

The archive holds every row, photo rows included, but a photo's bytes only when they are in the
database location (installations from before the photo stores, or SEECLICK_PHOTO_STORE=database).
Photos in the local directory (SEECLICK_PHOTO_DIR) or a bucket are backed up as that store is: the
directory copied with the archive (rsync), the bucket versioned or replicated by its provider
(docs/production.md, "Photos"); the summary counts them so nobody is surprised. Objects are never
overwritten with other bytes (each key is given once), so copying the store after the dump gives
every photo the archive names. Besides, only the secret key is needed (SECRET_KEY: the sessions,
device and browser tokens are signed with it). The archive is pg_dump's custom format: compressed,
restorable table by table, readable by pg_restore of the same or a later version.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """Why a backup or a restore could not be done, in words for the person running it."""


@dataclass(frozen=True)
class Summary:
    reports: int
    photos: int
    tables: int
    photos_in_stores: int = 0  # of the photos, those whose bytes are in a directory or a bucket, not in the archive


def _libpq(url: str) -> tuple[list[str], dict]:
    """Connection options for pg_dump/pg_restore, and the environment with the password (never on the command line)."""
    parsed = make_url(url)
    options = ["--host", parsed.host or "127.0.0.1", "--port", str(parsed.port or 5432),
               "--username", parsed.username or "postgres", "--dbname", parsed.database]
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return options, env


def server_major(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SHOW server_version_num")).scalar()) // 10000
    finally:
        engine.dispose()


def program(name: str, major: int) -> str:
    """pg_dump or pg_restore of the server's major version if installed (an older one cannot read a newer server)."""
    matching = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if matching.exists():
        return str(matching)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client (postgresql-client-{major}).")
    return found


def summary(url: str) -> Summary:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                             "AND tablename <> 'spatial_ref_sys'")).scalar()
            if not connection.execute(text("SELECT to_regclass('public.report') IS NOT NULL")).scalar():
                return Summary(0, 0, tables)
            reports, photos = connection.execute(text(
                "SELECT (SELECT count(*) FROM report), (SELECT count(*) FROM photo)")).one()
            stores = connection.execute(text("SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
                                             "AND table_name = 'photo' AND column_name = 'store'")).scalar()
            outside = connection.execute(text("SELECT count(*) FROM photo WHERE store <> 'database'")).scalar() \
                if stores else 0
            return Summary(reports, photos, tables, outside)
    finally:
        engine.dispose()


def backup(url: str, path: Path) -> Summary:
    """Write the database to path (through a temporary file, so a failed backup never leaves half of one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    options, env = _libpq(url)
    partial = path.with_name(path.name + ".partial")
    major = server_major(url)
    done = subprocess.run([program("pg_dump", major), *options, "--format=custom", "--compress=6", "--no-owner",
                           "--file", str(partial)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    listed = subprocess.run([program("pg_restore", major), "--list", str(partial)], capture_output=True, text=True)
    if listed.returncode != 0 or "TABLE DATA public report " not in listed.stdout:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the archive written cannot be read back: {listed.stderr.strip()}")
    partial.rename(path)
    return summary(url)


def restore(path: Path, url: str, replace: bool = False) -> Summary:
    """Restore an archive into the database at url, in one transaction: all of it or nothing.

    A database that already holds seeclick's tables is refused unless replace is set, when
    everything in the archive is dropped and made again.
    """
    path = Path(path)
    if not path.exists():
        raise BackupError(f"There is no archive at {path}.")
    before = summary(url)
    if before.tables and not replace:
        raise BackupError(f"The database already holds {before.tables} tables ({before.reports} reports): restore "
                          "into an empty database, or give --replace to drop them and take the archive's.")
    options, env = _libpq(url)
    flags = ["--clean", "--if-exists"] if replace else []
    done = subprocess.run([program("pg_restore", server_major(url)), *options, *flags, "--no-owner",
                           "--no-privileges", "--single-transaction", "--exit-on-error", str(path)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError("pg_restore failed, nothing was restored: " + re.sub(r"\s+", " ", done.stderr.strip())[:2000])
    return summary(url)
