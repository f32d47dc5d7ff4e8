"""Sending reports to the city's systems and applying what comes back. Flush, never commit (the jobs commit).

A report's send row is written with the report (reports.submission) or when it is passed to a
department that sends by Open311 (reports.services.reassign); a trigger queues its job. The job locks the row,
posts, and records the city's id; a failure is recorded and raised, for the queue to retry with
growing waits; staff are told when it keeps failing, and after the last attempt it waits for them.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from seeclick.categories.models import Category
from seeclick.delivery import decide, queries
from seeclick.delivery.models import (
    CityService,
    CitySystem,
    CityUpdates,
    ReportSend,
    SendMethod,
    SendState,
    UpdateSource,
)
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import latlon
from seeclick.notifications import services as notify
from seeclick.notifications.mail import public_url_for
from seeclick.open311.client import Client, Incoming, Outgoing
from seeclick.reports import services as reports
from seeclick.reports.models import Report

# Changes are read again from a little before the last read: a change committed late at the city
# (its time is when its transaction began) is not missed; those seen already are skipped.
OVERLAP = timedelta(minutes=5)
FIRST_LOOK = timedelta(hours=24)  # how far back the first read of a new city system looks
LONGEST_WINDOW = timedelta(days=7)  # a system not read for longer is read a week at a time


QUEUE_NOW = text("""SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('city', 'send_report', 0, NULL, NULL,
                     jsonb_build_object('send_id', :send_id), NULL)::procrastinate_job_to_defer_v1])""")


class DeliveryError(ValueError):
    """A city system or a send method that cannot be set up as asked; the message says why."""

    field = "city_system"  # the admin form's field it is shown beside


def client(system: CitySystem) -> Client:
    return Client(system.endpoint, system.format, system.jurisdiction_id, system.api_key)


def outgoing(send: ReportSend) -> Outgoing:
    """What the report tells the city: the reporter's name, email and phone only to a system set to receive them."""
    report: Report = send.report
    contact = send.city_system.send_contact
    photos = [public_url_for("photos.show", token=token) for token in queries.photo_tokens(report.id)]
    where = latlon(to_shape(report.location))
    return Outgoing(
        service_code=queries.service_code(send.city_system_id, report.category), lat=where.lat, lon=where.lon,
        address=report.address or "", description=report.description or "",
        answers={code: value if isinstance(value, list) else [str(value)]
                 for code, value in (report.answers or {}).items()},
        media_urls=tuple(photos + list(report.media_urls or [])),
        name=(report.reporter_name or "") if contact else "", email=(report.reporter_email or "") if contact else "",
        phone=(report.reporter_phone or "") if contact else "")


def idempotency_key(send: ReportSend) -> str:
    return f"seeclick-{current_app.config['OPEN311_JURISDICTION']}-send-{send.id}"


def record_sent(send: ReportSend, external_id: str | None) -> None:
    send.state, send.external_id, send.sent_at = SendState.SENT, external_id, datetime.now(UTC)
    send.attempts += 1
    send.last_error = None
    db.session.flush()


def record_failure(send_id: int, error: Exception) -> ReportSend:
    """Count the failed attempt; tell the department's staff when it keeps failing; stop after the last one."""
    send = queries.send(send_id)
    send.attempts += 1
    send.last_error = str(error)[:2000]
    if decide.alert_now(send.attempts, send.alerted_at is not None):
        send.alerted_at = datetime.now(UTC)
        notify.send_failed(send)
    if send.attempts >= decide.GIVE_UP_AFTER:
        send.state = SendState.FAILED
    db.session.flush()
    return send


def resend(send: ReportSend) -> ReportSend:
    """Send it again (from the ticket): the trigger queues it, and a new run of failures alerts again."""
    if send.state is SendState.SENT:
        raise DeliveryError(_l("It was sent already."))
    waiting = send.state is SendState.PENDING
    send.state, send.attempts, send.alerted_at = SendState.PENDING, 0, None
    db.session.flush()  # from failed, the trigger queues it
    if waiting:  # still being retried, its next attempt perhaps an hour away: one now
        db.session.execute(QUEUE_NOW, {"send_id": send.id})
    return send


def check(system: CitySystem, now: datetime | None = None) -> int:
    """Read the system's changes since the last read and apply the new ones; how many were applied.

    A failure to read is recorded on the system (staff see it in `flask cities status`) and raised.
    """
    now = now or datetime.now(UTC)
    start = (system.checked_until or now - FIRST_LOOK) - OVERLAP
    # W3C times are written to the second: the end is the next whole second, so a change made in this one is in.
    end = min(now, start + LONGEST_WINDOW).replace(microsecond=0) + timedelta(seconds=1)
    city = client(system)
    try:
        changes = (city.updates(start, end) if system.updates is CityUpdates.SERVICEREQUESTUPDATES
                   else city.requests_updated(start))
    except Exception as error:
        system.check_failures += 1
        system.last_check_error = str(error)[:2000]
        db.session.flush()
        raise
    applied = apply(system, changes)
    system.checked_until, system.checked_at = end, now
    system.check_failures, system.last_check_error = 0, None
    db.session.flush()
    return applied


def apply(system: CitySystem, changes: list[Incoming]) -> int:
    """Apply each change not applied before to the report the system knows by its id, oldest first."""
    sends = queries.sends_by_external_id(system.id, {c.external_id for c in changes})
    done = queries.seen(system.id, {c.key for c in changes})
    applied = 0
    for change in sorted(changes, key=lambda c: c.updated_at):
        send = sends.get(change.external_id)
        if send is None or change.key in done:
            continue
        report = send.report
        what = decide.change_for(report.status, queries.latest_public_note(report.id), change)
        if what is None:
            continue
        if what.status is not None:
            update = reports.apply_outside_change(report, what.status, what.note, change.updated_at, what.media_urls)
        else:
            update = reports.add_outside_note(report, what.note, what.media_urls, at=change.updated_at)
        db.session.add(UpdateSource(update_id=update.id, city_system_id=system.id, external_id=change.key[:200]))
        done.add(change.key)
        applied += 1
    db.session.flush()
    return applied


FORMATS = ("xml", "json")


def save_system(code: str, name: str, endpoint: str, api_key: str = "", jurisdiction_id: str = "", fmt: str = "xml",
                updates: CityUpdates = CityUpdates.SERVICEREQUESTUPDATES, send_contact: bool = False) -> CitySystem:
    """Add a city system, or change the one with this code."""
    if not endpoint.startswith(("http://", "https://")):
        raise DeliveryError(_l("The endpoint is the base URL of the city's GeoReport v2, such as "
                               "https://311.city.gov/open311/v2."))
    if fmt not in FORMATS:
        raise DeliveryError(_l("The format is xml or json."))
    system = queries.system_by_code(code) or CitySystem(code=code)
    system.name, system.endpoint, system.format = name or code, endpoint.rstrip("/"), fmt
    system.api_key, system.jurisdiction_id = api_key, jurisdiction_id
    system.updates, system.send_contact = updates, send_contact
    db.session.add(system)
    db.session.flush()
    return system


def map_service(system: CitySystem, category: Category, service_code: str) -> None:
    """The city calls our category by its own code."""
    db.session.execute(insert(CityService).values(city_system_id=system.id, category_id=category.id,
                                                  service_code=service_code)
                       .on_conflict_do_update(index_elements=["city_system_id", "category_id"],
                                              set_={"service_code": service_code}))


def set_send_method(owner: Department | Category, method: SendMethod | None, system: CitySystem | None) -> None:
    """How the reports of a department (or of a category, whichever department takes them) leave seeclick.

    A category's method None means: as its department says.
    """
    if method is SendMethod.OPEN311 and system is None:
        raise DeliveryError(_l("Open311 needs the city system to post to."))
    if method is None and isinstance(owner, Department):
        raise DeliveryError(_l("A department sends by mail, by Open311, or not at all."))
    owner.send_method = method
    owner.city_system = system if method is SendMethod.OPEN311 else None
    db.session.flush()
