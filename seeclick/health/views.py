"""Liveness for load balancers and monitoring, and how far behind the background work is."""

from flask import Blueprint, current_app, jsonify

from seeclick.health.queries import lag, postgis_version

bp = Blueprint("health", __name__)

# Beyond these the worker is behind (seconds): mail waits for a minute at most when all is well,
# the folds run every minute, and a worker writes a heartbeat every ten seconds.
BEHIND_AFTER = {"mail": 300, "statistics": 180, "map_counts": 180, "worker": 60}


def seconds(value):
    return None if value is None else round(float(value), 1)


@bp.get("/healthz")
def healthz():
    """Whether the database and PostGIS answer (503 if not), and how far behind mail, statistics and map counts are.

    The web answers 200 while the worker is behind (the pages still work), with status "behind" and
    what is late: a monitor alerts on that, a load balancer keeps the host.
    """
    try:
        version = postgis_version()
        figures = lag()
    except Exception:  # any failure to reach the database is the answer itself
        # The details (host, port, user) go to the log, not to whoever asks.
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="error", database="unreachable", reason="cannot reach the database"), 503
    jobs = {
        "mail_waiting": figures.mail_waiting,
        "mail_oldest_seconds": seconds(figures.mail_oldest),
        "statistics_seconds_behind": seconds(figures.statistics),
        "map_counts_seconds_behind": seconds(figures.map_counts),
        "worker_heartbeat_seconds": seconds(figures.worker),
    }
    measured = {"mail": figures.mail_oldest, "statistics": figures.statistics, "map_counts": figures.map_counts,
                "worker": figures.worker}
    # Never done yet counts as behind too, except mail, where nothing waiting is nothing late.
    behind = sorted(name for name, value in measured.items()
                    if (value is None and name != "mail") or (value is not None and value > BEHIND_AFTER[name]))
    return jsonify(status="behind" if behind else "ok", database="ok", postgis=version, jobs=jobs, behind=behind)
