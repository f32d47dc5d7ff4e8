"""Keep the response-time rollups fresh: every minute."""

from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue
from seeclick.stats import queries


@queue.periodic(cron="* * * * *")
@queue.task(name="refresh_stats", queueing_lock="refresh_stats")
@in_app_context
def refresh_stats(timestamp: int) -> None:
    queries.refresh()
    db.session.commit()
