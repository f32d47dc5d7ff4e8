"""The SELECTs of sending to the city's systems and reading their changes back."""

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from seeclick.categories.models import Category
from seeclick.delivery.models import CityService, CitySystem, CityUpdates, ReportSend, SendState, UpdateSource
from seeclick.extensions import db
from seeclick.photos.models import Photo
from seeclick.reports.models import Report, Update


def claim(send_id: int) -> ReportSend | None:
    """The send, locked for this worker while it is posted, if it is still to be sent and nobody holds it."""
    return db.session.scalar(select(ReportSend).where(ReportSend.id == send_id, ReportSend.state == SendState.PENDING)
                             .with_for_update(skip_locked=True))


def send(send_id: int) -> ReportSend | None:
    return db.session.get(ReportSend, send_id)


def service_code(city_system_id: int, category: Category) -> str:
    """The city's service code for the category: its own where one is mapped, else the same code."""
    mapped = db.session.scalar(select(CityService.service_code).where(
        CityService.city_system_id == city_system_id, CityService.category_id == category.id))
    return mapped or category.code


def photo_tokens(report_id: int) -> list[str]:
    """The report's own photos the public may see, in order."""
    return db.session.scalars(select(Photo.token).where(Photo.report_id == report_id, Photo.update_id.is_(None),
                                                        Photo.hidden_reason.is_(None)).order_by(Photo.id)).all()


def system_ids_to_check() -> list[int]:
    """The city systems whose changes are read back."""
    return db.session.scalars(select(CitySystem.id).where(CitySystem.updates != CityUpdates.NONE)
                              .order_by(CitySystem.id)).all()


def lock_system(system_id: int) -> CitySystem | None:
    """The system, locked for this run; None when another run holds it."""
    return db.session.scalar(select(CitySystem).where(CitySystem.id == system_id).with_for_update(skip_locked=True))


def sends_by_external_id(city_system_id: int, external_ids: set[str]) -> dict[str, ReportSend]:
    """The reports this system knows by these ids of its own."""
    if not external_ids:
        return {}
    found = db.session.scalars(select(ReportSend).options(joinedload(ReportSend.report))
                               .where(ReportSend.city_system_id == city_system_id,
                                      ReportSend.external_id.in_(external_ids)))
    return {s.external_id: s for s in found}


def seen(city_system_id: int, keys: set[str]) -> set[str]:
    """Which of these changes of the system were applied already."""
    if not keys:
        return set()
    return set(db.session.scalars(select(UpdateSource.external_id).where(
        UpdateSource.city_system_id == city_system_id, UpdateSource.external_id.in_(keys))))


def latest_public_note(report_id: int) -> str | None:
    return db.session.scalar(select(Update.body).where(Update.report_id == report_id, Update.public,
                                                       Update.body != "")
                             .order_by(Update.created_at.desc(), Update.id.desc()).limit(1))


def sends_of(report_id: int) -> list[ReportSend]:
    """Where the report went, for its ticket."""
    return db.session.scalars(select(ReportSend).options(joinedload(ReportSend.city_system))
                              .where(ReportSend.report_id == report_id).order_by(ReportSend.id)).all()


def system_by_code(code: str) -> CitySystem | None:
    return db.session.scalar(select(CitySystem).where(CitySystem.code == code))


def systems() -> list[CitySystem]:
    return db.session.scalars(select(CitySystem).order_by(CitySystem.name)).all()


def figures() -> list:
    """Per city system: reports sent, waiting (and how many of those failed at least once), failed for good,
    sent only after a retry (and the failed attempts before they were sent), and changes applied back here."""
    sends = (select(ReportSend.city_system_id,
                    func.count().filter(ReportSend.state == SendState.SENT).label("sent"),
                    func.count().filter(ReportSend.state == SendState.PENDING).label("pending"),
                    func.count().filter(ReportSend.state == SendState.PENDING, ReportSend.attempts > 0)
                    .label("retrying"),
                    func.count().filter(ReportSend.state == SendState.FAILED).label("failed"),
                    func.count().filter(ReportSend.state == SendState.SENT, ReportSend.attempts > 1)
                    .label("retried"),
                    func.coalesce(func.sum(case((and_(ReportSend.state == SendState.SENT, ReportSend.attempts > 1),
                                                 ReportSend.attempts - 1), else_=0)), 0)
                    .label("retries"))
             .group_by(ReportSend.city_system_id).subquery())
    applied = (select(UpdateSource.city_system_id, func.count().label("applied"))
               .where(UpdateSource.city_system_id.is_not(None)).group_by(UpdateSource.city_system_id).subquery())
    zero = lambda column: func.coalesce(column, 0)  # noqa: E731
    return db.session.execute(
        select(CitySystem.code, CitySystem.name, zero(sends.c.sent).label("sent"),
               zero(sends.c.pending).label("pending"),
               zero(sends.c.retrying).label("retrying"), zero(sends.c.failed).label("failed"),
               zero(sends.c.retried).label("retried"), zero(sends.c.retries).label("retries"),
               zero(applied.c.applied).label("applied"), CitySystem.checked_at, CitySystem.check_failures,
               CitySystem.last_check_error)
        .outerjoin(sends, sends.c.city_system_id == CitySystem.id)
        .outerjoin(applied, applied.c.city_system_id == CitySystem.id)
        .order_by(CitySystem.code)).all()


def target(department_id: int, category_id: int) -> int | None:
    """The city system a report of this department and category is sent to (the one rule, send_target())."""
    return db.session.scalar(select(func.send_target(department_id, category_id)))


def report(report_id: int) -> Report | None:
    return db.session.get(Report, report_id)
