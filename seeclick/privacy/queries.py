"""What is held under one email address: its reports, follows, watches and mail (case does not matter)."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.moderation import queries as moderation
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.notifications.models import Follower, Notification, Watch
from seeclick.reports.models import Report


@dataclass(frozen=True)
class Held:
    reports: int
    follows: int
    watches: int
    mails: int

    def __bool__(self) -> bool:
        return bool(self.reports or self.follows or self.watches or self.mails)


def _reports(address: str):
    return select(Report).where(func.lower(Report.reporter_email) == address)


def _follows(address: str):
    return select(Follower).where(func.lower(Follower.email) == address)


def _watches(address: str):
    return select(Watch).where(func.lower(Watch.email) == address)


def _mails(address: str):
    return select(Notification).where(func.lower(Notification.recipient) == address)


def held(address: str) -> Held:
    """How many of each, in one statement (each count an index scan of its lower(email) index)."""
    counts = [select(func.count()).select_from(q.subquery()).scalar_subquery()
              for q in (_reports(address), _follows(address), _watches(address), _mails(address))]
    return Held(*db.session.execute(select(*counts)).one())


def reports_of(address: str) -> list[Report]:
    return db.session.scalars(_reports(address).options(
        selectinload(Report.category).selectinload(Category.questions), joinedload(Report.department),
        selectinload(Report.photos)).order_by(Report.created_at, Report.id)).all()


def follows_of(address: str) -> list[Follower]:
    return db.session.scalars(_follows(address).options(joinedload(Follower.report))
                              .order_by(Follower.created_at, Follower.id)).all()


def watches_of(address: str) -> list[Watch]:
    return db.session.scalars(_watches(address).options(joinedload(Watch.neighbourhood).load_only(Neighbourhood.name))
                              .order_by(Watch.created_at, Watch.id)).all()


def mail_to(address: str) -> list[Notification]:
    return db.session.scalars(_mails(address).order_by(Notification.created_at, Notification.id)).all()


def as_written(reports) -> dict[int, dict[str, str]]:
    """By report, the description and address as the reporter wrote them, where a moderator redacted them since."""
    written = {}
    for report in reports:
        originals = {field: moderation.text_before_redactions(report.id, field) for field in ("description", "address")}
        if any(text is not None for text in originals.values()):
            written[report.id] = {field: text for field, text in originals.items() if text is not None}
    return written
