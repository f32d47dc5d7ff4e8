"""Housekeeping for photos."""

from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue
from seeclick.photos import services


@queue.periodic(cron="17 * * * *")
@queue.task(name="purge_staged_photos", queueing_lock="purge_staged_photos")
@in_app_context
def purge_staged_photos(timestamp: int) -> int:
    """Delete photos uploaded for a report that was never sent, a day on."""
    purged = services.purge_staged()
    db.session.commit()
    return purged
