"""Jobs that send mail. Queued by the outbox trigger; a failed send is retried with growing waits."""

from procrastinate import RetryStrategy
from sqlalchemy import text

from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue
from seeclick.notifications import watching
from seeclick.notifications.delivery import deliver

# 2, 4, 8 ... 4,096 seconds: about two hours of retries before the sweep below takes over.
RETRY = RetryStrategy(max_attempts=12, exponential_wait=2)

# A worker sends a heartbeat every 10 seconds; three missed and its running jobs are taken as orphaned
# (a worker killed mid-send: its mail goes out within a minute or two of it dying).
STALLED_AFTER_SECONDS = 30

REQUEUE = text("""
    SELECT count(procrastinate_defer_jobs_v1(ARRAY[ROW(
        'mail', 'send_notification', 0, NULL, NULL, jsonb_build_object('notification_id', n.id), NULL
    )::procrastinate_job_to_defer_v1]))
    FROM notification n
    WHERE n.sent_at IS NULL AND n.created_at < now() - interval '10 minutes'
      AND n.attempts < 36  -- three rounds, then it is left for a person to look at (flask jobs status)
      AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                      WHERE j.task_name = 'send_notification' AND j.status IN ('todo', 'doing')
                        AND (j.args->>'notification_id')::bigint = n.id)
""")


@queue.task(name="send_notification", queue="mail", retry=RETRY)
@in_app_context
def send_notification(notification_id: int) -> bool:
    return deliver(notification_id)


@queue.periodic(cron="*/10 * * * *")
@queue.task(name="requeue_unsent_mail", queue="mail", queueing_lock="requeue_unsent_mail")
@in_app_context
def requeue_unsent_mail(timestamp: int) -> int:
    """Give mail whose retries ran out (a long SMTP outage) another round of attempts."""
    queued = db.session.execute(REQUEUE).scalar()
    db.session.commit()
    return queued


@queue.periodic(cron="* * * * *")
@queue.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context, timestamp: int) -> int:
    """Run again the jobs a worker was running when it died (no heartbeat for a minute): a mail
    whose worker was killed mid-send would otherwise stay "doing" for ever and never go out."""
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    for job in stalled:
        await manager.retry_job(job)
    return len(stalled)


@queue.periodic(cron="0 12 * * *")  # once a day, early morning in New York
@queue.task(name="send_digests", queue="mail", queueing_lock="send_digests")
@in_app_context
def send_digests(timestamp: int) -> int:
    written = watching.send_digests()
    db.session.commit()
    return written
