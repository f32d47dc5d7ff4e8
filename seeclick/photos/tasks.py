"""Housekeeping for photos."""

from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue
from seeclick.photos import services, storage


@queue.periodic(cron="17 * * * *")
@queue.task(name="purge_staged_photos", queueing_lock="purge_staged_photos")
@in_app_context
def purge_staged_photos(timestamp: int) -> int:
    """Delete photos uploaded for a report that was never sent, a day on, and then their objects."""
    purged = services.purge_staged()
    db.session.commit()
    storage.discard(purged)
    return len(purged)


@queue.periodic(cron="43 4 * * *")
@queue.task(name="sweep_orphan_photos", queueing_lock="sweep_orphan_photos")
@in_app_context
def sweep_orphan_photos(timestamp: int) -> int:
    """Once a day, delete objects in the photo stores that no photo row names (each store listed in full)."""
    swept = storage.sweep()
    db.session.commit()
    return swept
