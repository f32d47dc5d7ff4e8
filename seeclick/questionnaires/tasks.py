"""Ask "was it fixed?" when it is due: every hour, the reports closed as fixed their department's days ago."""

from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue
from seeclick.questionnaires import services


@queue.periodic(cron="23 * * * *")
@queue.task(name="send_questionnaires", queue="mail", queueing_lock="send_questionnaires")
@in_app_context
def send_questionnaires(timestamp: int) -> int:
    written = services.ask()
    db.session.commit()
    return written
