"""The retention rule: every hour, contact details go from reports closed more than N months ago."""

from flask import current_app

from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue
from seeclick.privacy import services


@queue.periodic(cron="41 * * * *")
@queue.task(name="remove_old_contact_details", queueing_lock="remove_old_contact_details")
@in_app_context
def remove_old_contact_details(timestamp: int) -> int:
    """Apply SEECLICK_CONTACT_RETENTION_MONTHS (0 keeps everything) to one batch of reports; how many had any."""
    months = current_app.config["CONTACT_RETENTION_MONTHS"]
    if months <= 0:
        return 0
    removal = services.remove_old_contact(months)
    db.session.commit()
    return removal.reports if removal else 0
