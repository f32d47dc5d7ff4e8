"""Reads for closing the loop: who is due a "was it fixed?", a questionnaire by its token, requests to reopen."""

from datetime import datetime, timedelta

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.orm import joinedload

from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.notifications.models import Follower
from seeclick.questionnaires.models import Questionnaire, ReopenRequest
from seeclick.reports.models import Report, Status

# A close older than its department's delay plus this is not asked about any more (a late question is noise).
ASK_WITHIN = timedelta(days=30)


def due(now: datetime, limit: int = 1000) -> list[tuple[Report, Follower]]:
    """(report, follower) pairs to ask now: closed as fixed their department's days ago, public, and not asked yet."""
    delay = func.make_interval(0, 0, 0, Department.questionnaire_days)
    asked = select(literal_column("1")).where(
        Questionnaire.report_id == Report.id, Questionnaire.follower_id == Follower.id,
        Questionnaire.closed_at == Report.closed_at).exists()
    return db.session.execute(
        select(Report, Follower)
        .join(Department, Department.id == Report.department_id)
        .join(Follower, and_(Follower.report_id == Report.id, Follower.confirmed_at.is_not(None),
                             Follower.stopped_at.is_(None)))
        .where(Report.status == Status.FIXED, Report.hidden_reason.is_(None), Department.questionnaire_days > 0,
               Report.closed_at <= now - delay, Report.closed_at > now - delay - ASK_WITHIN, ~asked)
        .order_by(Report.closed_at, Report.id, Follower.id).limit(limit)).all()


def by_token(token: str) -> Questionnaire | None:
    return db.session.scalar(select(Questionnaire).where(Questionnaire.token == token)
                             .options(joinedload(Questionnaire.report), joinedload(Questionnaire.follower)))


def request(request_id: int) -> ReopenRequest | None:
    return db.session.get(ReopenRequest, request_id)


def pending_for_report(report_id: int) -> list[ReopenRequest]:
    return db.session.scalars(select(ReopenRequest).where(ReopenRequest.report_id == report_id,
                                                          ReopenRequest.decided_at.is_(None))
                              .order_by(ReopenRequest.created_at)).all()


def pending_for_department(department_id: int, limit: int = 50) -> list[tuple[ReopenRequest, str, str]]:
    """Requests to reopen waiting for the department: (request, report's public id, category name), oldest first."""
    from seeclick.categories.models import Category

    return db.session.execute(
        select(ReopenRequest, Report.public_id, Category.name)
        .join(Report, Report.id == ReopenRequest.report_id).join(Category, Category.id == Report.category_id)
        .where(Report.department_id == department_id, ReopenRequest.decided_at.is_(None))
        .order_by(ReopenRequest.created_at).limit(limit)).all()
