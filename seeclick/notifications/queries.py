"""Reads for mail: who follows a report, who works in a department, a subscription by its token."""

from datetime import datetime

from sqlalchemy import func, select

from seeclick.accounts.models import DEPARTMENT_ROLES, User
from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.geo import from_db, latlon, to_db
from seeclick.notifications.models import Follower, Notification, Subscription, Watch
from seeclick.reports.models import Report
from seeclick.reports.queries import box_degrees


def by_token(model: type[Subscription], token: str) -> Follower | Watch | None:
    return db.session.scalar(select(model).where(model.token == token))


def follower_of(report_id: int, email: str) -> Follower | None:
    return db.session.scalar(select(Follower).where(
        Follower.report_id == report_id, func.lower(Follower.email) == email.lower()))


def active_followers(report_id: int) -> list[Follower]:
    return db.session.scalars(select(Follower).where(
        Follower.report_id == report_id, Follower.confirmed_at.is_not(None), Follower.stopped_at.is_(None))
        .order_by(Follower.id)).all()


def department_staff(department_id: int) -> list[tuple[str, str | None]]:
    """(email, chosen language) of the department's active staff."""
    return [tuple(row) for row in db.session.execute(select(User.email, User.locale).where(
        User.department_id == department_id, User.active, User.role.in_(DEPARTMENT_ROLES)))]


def watch_of_neighbourhood(neighbourhood_id: int, email: str) -> Watch | None:
    return db.session.scalar(select(Watch).where(Watch.neighbourhood_id == neighbourhood_id,
                                                 func.lower(Watch.email) == email.strip().lower()))


def active_watches():
    """Every confirmed watch that was not stopped, oldest first (a digest run walks them)."""
    return db.session.scalars(select(Watch).where(Watch.confirmed_at.is_not(None), Watch.stopped_at.is_(None))
                              .order_by(Watch.id))


def outbox_counts() -> tuple[int, int, int]:
    """(waiting, sent, waiting after a failed attempt) in the mail outbox."""
    return db.session.execute(select(
        func.count().filter(Notification.sent_at.is_(None)),
        func.count().filter(Notification.sent_at.is_not(None)),
        func.count().filter(Notification.sent_at.is_(None), Notification.attempts > 0),
    )).one()


def new_reports(watch: Watch, until: datetime, limit: int) -> list:
    """Up to `limit` reports made in the watched place since the last digest, newest first."""
    query = (select(Report.public_id, Report.created_at, Category.name.label("category"), Report.status)
             .join(Category, Category.id == Report.category_id)
             .where(Report.created_at > watch.covered_until, Report.created_at <= until,
                    Report.hidden_reason.is_(None)))
    if watch.neighbourhood_id is not None:
        query = query.where(Report.neighbourhood_id == watch.neighbourhood_id)
    else:
        centre = latlon(from_db(watch.centre))
        point = to_db(centre.to_point())
        degrees = box_degrees(watch.radius_m, centre.lat)
        query = query.where(Report.location.intersects(func.ST_Expand(point, degrees)),
                            func.ST_DistanceSphere(Report.location, point) <= watch.radius_m)
    return db.session.execute(query.order_by(Report.created_at.desc()).limit(limit)).all()
