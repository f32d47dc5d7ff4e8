"""Reads of bans: whether one covers a submission, and the lists for the bans page."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from seeclick import dbapi
from seeclick.bans.models import Ban, BanKind
from seeclick.extensions import db

# One probe of ix_ban_kind_value per thing given; a NULL matches nothing. On every submission that
# names someone, so it is plain SQL on the session's cursor (seeclick.dbapi).
BLOCKING = """
    SELECT EXISTS (
        SELECT 1 FROM ban
        WHERE lifted_at IS NULL AND expires_at > now()
          AND ((kind = 'email' AND value = %(email)s) OR (kind = 'phone' AND value = %(phone)s)
               OR (kind = 'browser' AND value = %(browser)s)))
"""

ENDED_SHOWN = 200


def blocking(email: str | None, phone: str | None, browser: str | None) -> bool:
    """Whether a ban in force covers any of these values (as bans.matching makes them)."""
    if not (email or phone or browser):
        return False
    return dbapi.one(BLOCKING, {"email": email, "phone": phone, "browser": browser})[0]


def _listed():
    return select(Ban).options(selectinload(Ban.created_by), selectinload(Ban.lifted_by), selectinload(Ban.report))


def in_force(now: datetime) -> list[Ban]:
    """Bans in force, those ending soonest first."""
    return db.session.scalars(_listed().where(Ban.lifted_at.is_(None), Ban.expires_at > now)
                              .order_by(Ban.expires_at, Ban.id)).all()


def ended(now: datetime, limit: int = ENDED_SHOWN) -> list[Ban]:
    """Bans that expired or were lifted, the latest made first."""
    return db.session.scalars(_listed().where(or_(Ban.lifted_at.is_not(None), Ban.expires_at <= now))
                              .order_by(Ban.created_at.desc(), Ban.id.desc()).limit(limit)).all()


def in_force_on(kind: BanKind, value: str, now: datetime) -> Ban | None:
    return db.session.scalar(select(Ban).where(Ban.kind == kind, Ban.value == value, Ban.lifted_at.is_(None),
                                               Ban.expires_at > now).limit(1))


def by_id(ban_id: int) -> Ban | None:
    return db.session.get(Ban, ban_id)
