"""Closing the loop: "was it fixed?" asked of the reporter and followers, and requests to reopen."""

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seeclick.columns import pg_enum
from seeclick.extensions import db


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Questionnaire(db.Model):
    """One person asked, once, whether one close as fixed really fixed it; the answer comes from their link."""

    __tablename__ = "questionnaire"
    __table_args__ = (
        UniqueConstraint("report_id", "follower_id", "closed_at", name="uq_questionnaire_report_follower_close"),
        CheckConstraint("(answered_at IS NULL) = (fixed IS NULL)", name="answered_has_an_answer"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    follower_id: Mapped[int] = mapped_column(ForeignKey("follower.id", ondelete="CASCADE"))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the close it asks about
    token: Mapped[str] = mapped_column(String(40), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fixed: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # public, once the person adds it

    report = relationship("Report")
    follower = relationship("Follower")


class Source(enum.StrEnum):
    QUESTIONNAIRE = "questionnaire"  # a "no, it is not fixed"
    REPORTER = "reporter"  # the reporter asked from their mail's link


class Decision(enum.StrEnum):
    ACCEPTED = "accepted"  # reopened: the clock goes on from the report's first day
    DECLINED = "declined"  # with a reason the public reads


class ReopenRequest(db.Model):
    """A request to reopen a closed report, for the department to accept or decline with a public reason."""

    __tablename__ = "reopen_request"
    __table_args__ = (
        Index("ix_reopen_request_report_id", "report_id"),
        Index("ix_reopen_request_pending", "created_at", postgresql_where=text("decided_at IS NULL")),
        CheckConstraint("(decided_at IS NULL) = (decision IS NULL)", name="decided_has_a_decision"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    source: Mapped[Source] = mapped_column(pg_enum(Source, "reopen_source"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id", ondelete="SET NULL"))
    questionnaire_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision: Mapped[Decision | None] = mapped_column(pg_enum(Decision, "reopen_decision"))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    report = relationship("Report")
    photo = relationship("Photo")
    questionnaire = relationship("Questionnaire")
