from sqlalchemy import text

from seeclick.extensions import db


def postgis_version() -> str:
    try:
        return db.session.execute(text("SELECT postgis_lib_version()")).scalar_one()
    finally:
        db.session.rollback()


# How far behind the background work is, in seconds (None: never done yet), in one round trip.
LAG = text("""
    SELECT (SELECT count(*) FROM notification WHERE sent_at IS NULL) AS mail_waiting,
           (SELECT extract(epoch FROM now() - min(created_at)) FROM notification WHERE sent_at IS NULL)
               AS mail_oldest,
           (SELECT extract(epoch FROM now() - folded_at) FROM stats_state) AS statistics,
           (SELECT extract(epoch FROM now() - finished_at) FROM job_run WHERE task = 'fold_map_counts') AS map_counts,
           (SELECT extract(epoch FROM now() - max(last_heartbeat)) FROM procrastinate_workers) AS worker
""")


def lag():
    try:
        return db.session.execute(LAG).one()
    finally:
        db.session.rollback()
