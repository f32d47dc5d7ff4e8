"""Manage a project-local streaming replica of the PostGIS cluster, under instance/.

Run with the system Python before the virtualenv exists (standard library only):

    python3 seeclick/devreplica.py start      # copy the cluster once (pg_basebackup -R), start the copy
    python3 seeclick/devreplica.py stop
    python3 seeclick/devreplica.py url [NAME] # print the URL of a database on the replica

The replica is a hot standby: it answers reads while it replays the primary's WAL as it streams in,
which is what SEECLICK_REPLICA_DATABASE_URL names (docs/production.md). It is a second cluster of the
same kind as the primary (devdb.py), in instance/replica-pgdata, on its own port (by default 54349, or
a free port), with the primary's users and password: a copy is what a replica is. The primary needs
nothing changed for it: initdb already allows replication connections from 127.0.0.1 for its
superuser, and wal_level is `replica` by default.
"""

import json
import os
import shutil
import subprocess
import sys

try:
    from seeclick import devdb
except ImportError:  # run as a script by the system Python, before the virtualenv exists
    import devdb


class Replica(devdb.Cluster):
    """A hot standby of `primary`, made by pg_basebackup and kept up to date by streaming replication."""

    def __init__(self, primary=devdb.DEFAULT, name="replica-pgdata", preferred_port=54349):
        super().__init__(primary.directory, name=name, durable=primary.durable, databases=(),
                         preferred_port=preferred_port)
        self.primary = primary

    def initdb(self):
        """Copy the running primary, with the settings to follow it (-R: standby.signal, primary_conninfo)."""
        self.primary.start()
        port = devdb.free_port(self.preferred_port)
        primary = self.primary.settings()
        devdb.make_reachable(self.pgdata)
        self.pgdata.chmod(0o700)
        env = dict(os.environ, PGPASSWORD=primary["password"])
        try:
            subprocess.run(devdb.as_server_user([
                devdb.pg_bin("pg_basebackup"), "-D", str(self.pgdata), "-h", "127.0.0.1", "-p", str(primary["port"]),
                "-U", devdb.SUPERUSER, "--no-password", "-R", "-X", "stream", "-c", "fast",
            ]), check=True, env=env, stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError:
            shutil.rmtree(self.pgdata, ignore_errors=True)  # a half copy would never start
            raise
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# seeclick local replica: its own port; long reads (an export) hold back the primary's cleanup\n"
                f"port = {port}\nhot_standby = on\nhot_standby_feedback = on\n"
            )
        devdb.write_private(self.settings_file, json.dumps({"port": port, "password": primary["password"]}) + "\n")


DEFAULT = Replica()


def main(argv):
    devdb.command_line("devreplica", DEFAULT, argv)


if __name__ == "__main__":
    main(sys.argv)
