"""The log of contact details removed: when, by which rule, how many. It holds nothing personal."""

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from seeclick.columns import pg_enum
from seeclick.extensions import db


class RemovalRule(enum.StrEnum):
    RETENTION = "retention"  # the reports were closed more than SEECLICK_CONTACT_RETENTION_MONTHS ago
    REQUEST = "request"  # the person asked, from a link sent to their address


class ContactRemoval(db.Model):
    """One removal: how many reports lost their contact details, and how many followers, watches and mails went."""

    __tablename__ = "contact_removal"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    removed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    rule: Mapped[RemovalRule] = mapped_column(pg_enum(RemovalRule, "contact_removal_rule"))
    months: Mapped[int | None] = mapped_column(Integer)  # the retention setting the rule applied
    reports: Mapped[int] = mapped_column(Integer)
    followers: Mapped[int] = mapped_column(Integer)
    watches: Mapped[int] = mapped_column(Integer)
    mails: Mapped[int] = mapped_column(Integer)
