"""Jobs that send reports to the city's systems and read their changes back. Each commits its own work."""

from procrastinate import RetryStrategy
from sqlalchemy import text

from seeclick.delivery import queries, services
from seeclick.delivery.decide import GIVE_UP_AFTER
from seeclick.extensions import db
from seeclick.jobs import in_app_context, queue
from seeclick.open311.client import CityError
from seeclick.reports.services import StaleReport

# 2, 4, 8 ... 4,096 seconds: about two hours of retries, then the sweep below gives it more rounds.
RETRY = RetryStrategy(max_attempts=12, exponential_wait=2)

REQUEUE = text(f"""
    SELECT count(procrastinate_defer_jobs_v1(ARRAY[ROW(
        'city', 'send_report', 0, NULL, NULL, jsonb_build_object('send_id', s.id), NULL
    )::procrastinate_job_to_defer_v1]))
    FROM report_send s
    WHERE s.state = 'pending' AND s.created_at < now() - interval '10 minutes' AND s.attempts < {GIVE_UP_AFTER}
      AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                      WHERE j.task_name = 'send_report' AND j.status IN ('todo', 'doing')
                        AND (j.args->>'send_id')::bigint = s.id)
""")


@queue.task(name="send_report", queue="city", retry=RETRY)
@in_app_context
def send_report(send_id: int) -> bool:
    """Post one report to its city system; True when this run sent it.

    The row stays locked while the request is made, so two workers given the same job cannot both
    post it; on failure the attempt is recorded and the error raised, for the queue to retry.
    """
    send = queries.claim(send_id)
    if send is None:  # sent already, failed for good, or another worker has it
        db.session.rollback()
        return False
    try:
        external_id = services.client(send.city_system).post_request(services.outgoing(send),
                                                                      services.idempotency_key(send))
    except Exception as error:  # the city's answer, or anything else: staff see it on the ticket
        db.session.rollback()
        services.record_failure(send_id, error)
        db.session.commit()
        raise
    services.record_sent(send, external_id)
    db.session.commit()
    return True


@queue.periodic(cron="*/10 * * * *")
@queue.task(name="requeue_unsent_reports", queue="city", queueing_lock="requeue_unsent_reports")
@in_app_context
def requeue_unsent_reports(timestamp: int) -> int:
    """Give reports whose retries ran out (a long outage of the city's system) another round of attempts."""
    queued = db.session.execute(REQUEUE).scalar()
    db.session.commit()
    return queued


@queue.periodic(cron="* * * * *")
@queue.task(name="check_city_systems", queue="city", queueing_lock="check_city_systems")
@in_app_context
def check_city_systems(timestamp: int) -> int:
    """Read every city system's changes since the last read and apply them; each system in a transaction."""
    applied = 0
    for system_id in queries.system_ids_to_check():
        system = queries.lock_system(system_id)  # each on its own: one that is down holds back no other
        if system is None:  # another run is reading it
            db.session.rollback()
            continue
        try:
            applied += services.check(system)
        except CityError:
            db.session.commit()  # the failure, recorded on the system
            continue
        except StaleReport:  # staff changed a report meanwhile: read it all again next minute
            db.session.rollback()
            continue
        db.session.commit()
    return applied
