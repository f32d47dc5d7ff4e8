"""Keep the map's counts current: report changes are folded in every minute."""

from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue, record_run
from seeclick.publicmap import queries


@queue.periodic(cron="* * * * *")
@queue.task(name="fold_map_counts", queueing_lock="fold_map_counts")
@in_app_context
def fold_map_counts(timestamp: int) -> None:
    queries.fold()
    record_run("fold_map_counts")
    db.session.commit()
