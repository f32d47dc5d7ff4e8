"""Reads for moderators: a report's acts and flags, the text before a redaction, and the moderation queue."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, func, or_, select
from sqlalchemy.orm import joinedload

from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.moderation.models import Act, Flag, HiddenUpdate, Moderation, Reason
from seeclick.reports.models import Report

PAGE_SIZE = 50


def history(report_id: int) -> list[Moderation]:
    """Every act of moderation on a report, oldest first."""
    return db.session.scalars(select(Moderation).where(Moderation.report_id == report_id)
                              .options(joinedload(Moderation.user))
                              .order_by(Moderation.created_at, Moderation.id)).all()


def text_before_redactions(report_id: int, field: str) -> str | None:
    """The field as it was before the first redaction since it was last restored; None when none is in effect."""
    from seeclick.moderation.services import FIELDS

    redact_act, restore_act = FIELDS[field]
    acts = db.session.execute(select(Moderation.act, Moderation.before).where(
        Moderation.report_id == report_id, Moderation.act.in_([redact_act, restore_act]))
        .order_by(Moderation.created_at.desc(), Moderation.id.desc())).all()
    original = None
    for act, before in acts:  # newest first: back to the last restore
        if act is restore_act:
            break
        original = before
    return original


def hidden_updates(update_ids: list[int]) -> dict[int, Reason]:
    """Which of these timeline entries are hidden, and why."""
    if not update_ids:
        return {}
    return dict(db.session.execute(select(HiddenUpdate.update_id, HiddenUpdate.reason)
                                   .where(HiddenUpdate.update_id.in_(update_ids))).all())


def open_flags(report_id: int) -> list[Flag]:
    return db.session.scalars(select(Flag).where(Flag.report_id == report_id, Flag.resolved_at.is_(None))
                              .order_by(Flag.created_at)).all()


@dataclass(frozen=True)
class QueueRow:
    public_id: str
    category: str
    department_id: int
    hidden_reason: Reason | None
    flags: int
    reasons: list[Reason]
    from_reporter: bool
    first_flagged: datetime | None
    created_at: datetime


@dataclass
class QueueFilter:
    """What the moderation queue shows: reports with open flags, and reports waiting for review."""

    department_ids: list[int] | None = None  # None: every department (administrators)
    reason: Reason | None = None
    waiting: bool = True  # reports of review-first categories not yet published
    page: int = 1


def queue(f: QueueFilter) -> tuple[list[QueueRow], int]:
    """Reports that need a moderator, the longest-waiting first, one page of them, and how many there are."""
    flags = (select(Flag.report_id, func.count().label("flags"),
                    func.array_agg(func.distinct(Flag.reason.cast(String))).label("reasons"),
                    func.bool_or(Flag.from_reporter).label("from_reporter"),
                    func.min(Flag.created_at).label("first_flagged"))
             .where(Flag.resolved_at.is_(None)).group_by(Flag.report_id))
    if f.reason is not None:
        flags = flags.having(func.bool_or(Flag.reason == f.reason))
    flags = flags.subquery()
    needs = [Report.id.in_(select(flags.c.report_id))]
    if f.waiting and f.reason is None:
        needs.append(Report.hidden_reason == Reason.AWAITING_REVIEW)
    query = (select(Report.public_id, Category.name, Report.department_id, Report.hidden_reason,
                    func.coalesce(flags.c.flags, 0), flags.c.reasons, func.coalesce(flags.c.from_reporter, False),
                    flags.c.first_flagged, Report.created_at)
             .join(Category, Category.id == Report.category_id)
             .outerjoin(flags, flags.c.report_id == Report.id)
             .where(or_(*needs)))
    if f.department_ids is not None:
        query = query.where(Report.department_id.in_(f.department_ids or [0]))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(func.coalesce(flags.c.first_flagged, Report.created_at), Report.id)
                              .limit(PAGE_SIZE).offset((max(f.page, 1) - 1) * PAGE_SIZE)).all()
    return [QueueRow(public_id, category, department_id, hidden, count, [Reason(r) for r in reasons or []],
                     reporter, first, created)
            for public_id, category, department_id, hidden, count, reasons, reporter, first, created in rows], total


def reports_by_public_ids(public_ids: list[str]) -> list[Report]:
    return db.session.scalars(select(Report).where(Report.public_id.in_(public_ids))
                              .options(joinedload(Report.department))).all()


def last_acts(report_ids: list[int]) -> dict[int, Act]:
    """The latest act of moderation on each of these reports."""
    if not report_ids:
        return {}
    latest = (select(Moderation.report_id, Moderation.act)
              .where(Moderation.report_id.in_(report_ids))
              .order_by(Moderation.report_id, Moderation.created_at.desc(), Moderation.id.desc())
              .distinct(Moderation.report_id))
    return dict(db.session.execute(latest).all())
