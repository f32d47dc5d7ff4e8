"""Keep the response-time rollups current: every minute, the recorded report changes are folded in."""

from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue, record_run
from seeclick.stats import services


@queue.periodic(cron="* * * * *")
@queue.task(name="refresh_stats", queueing_lock="refresh_stats")
@in_app_context
def refresh_stats(timestamp: int) -> None:
    # One snapshot for the whole fold: the changes it takes and the reports it reads are of one moment,
    # and report changes never wait for it.
    db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    services.fold()
    record_run("refresh_stats")
    db.session.commit()
