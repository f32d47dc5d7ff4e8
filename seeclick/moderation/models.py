"""Moderation: the reasons the public sees, the log of every act, hidden notes, and citizens' flags."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seeclick.columns import pg_enum
from seeclick.extensions import db


class Reason(enum.StrEnum):
    """Why something was taken from the public: the category the public reads, never the text itself."""

    ABUSE = "abuse"
    PERSONAL_INFORMATION = "personal_information"
    WRONG_PLACE = "wrong_place"
    DUPLICATE = "duplicate"
    SPAM = "spam"
    REPORTER_REQUEST = "reporter_request"
    AWAITING_REVIEW = "awaiting_review"
    RULES = "rules"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.ABUSE: _l("abusive or offensive"), Reason.PERSONAL_INFORMATION: _l("personal information"),
    Reason.WRONG_PLACE: _l("in the wrong place"), Reason.DUPLICATE: _l("a duplicate"), Reason.SPAM: _l("spam"),
    Reason.REPORTER_REQUEST: _l("at the reporter's request"),
    Reason.AWAITING_REVIEW: _l("waiting for a moderator to look at it"), Reason.RULES: _l("against the site's rules"),
}
# What a moderator may give as the reason for taking something down (awaiting review is the system's own).
TAKEDOWN_REASONS = (Reason.ABUSE, Reason.PERSONAL_INFORMATION, Reason.WRONG_PLACE, Reason.DUPLICATE, Reason.SPAM,
                    Reason.REPORTER_REQUEST, Reason.RULES)
# What a citizen may flag a report for ("report a problem with this report").
FLAG_REASONS = (Reason.ABUSE, Reason.PERSONAL_INFORMATION, Reason.WRONG_PLACE, Reason.DUPLICATE)


class Act(enum.StrEnum):
    HIDE_REPORT = "hide_report"
    SHOW_REPORT = "show_report"
    REDACT_DESCRIPTION = "redact_description"
    REDACT_ADDRESS = "redact_address"
    RESTORE_DESCRIPTION = "restore_description"
    RESTORE_ADDRESS = "restore_address"
    HIDE_PHOTO = "hide_photo"
    SHOW_PHOTO = "show_photo"
    HIDE_NOTE = "hide_note"
    SHOW_NOTE = "show_note"

    @property
    def label(self) -> str:
        return ACT_LABELS[self]


ACT_LABELS = {
    Act.HIDE_REPORT: _l("Report hidden"), Act.SHOW_REPORT: _l("Report shown again"),
    Act.REDACT_DESCRIPTION: _l("Description redacted"), Act.REDACT_ADDRESS: _l("Address redacted"),
    Act.RESTORE_DESCRIPTION: _l("Description restored"), Act.RESTORE_ADDRESS: _l("Address restored"),
    Act.HIDE_PHOTO: _l("Photo hidden"), Act.SHOW_PHOTO: _l("Photo shown again"),
    Act.HIDE_NOTE: _l("Note hidden"), Act.SHOW_NOTE: _l("Note shown again"),
}


class Moderation(db.Model):
    """One act of moderation: who, when, why, and for a redaction the text before it (staff only)."""

    __tablename__ = "moderation"
    __table_args__ = (Index("ix_moderation_report_created", "report_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    act: Mapped[Act] = mapped_column(pg_enum(Act, "moderation_act"))
    reason: Mapped[Reason | None] = mapped_column(pg_enum(Reason, "moderation_reason"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # the moderator's own words, private
    before: Mapped[str | None] = mapped_column(Text)  # private: what the public saw before a redaction
    after: Mapped[str | None] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id", ondelete="CASCADE"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("report_update.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    user = relationship("User")


class HiddenUpdate(db.Model):
    """A note taken off the public timeline; the note itself, in the immutable log, is never changed."""

    __tablename__ = "report_update_hidden"

    update_id: Mapped[int] = mapped_column(ForeignKey("report_update.id"), primary_key=True)
    reason: Mapped[Reason] = mapped_column(pg_enum(Reason, "moderation_reason"))
    hidden_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Resolution(enum.StrEnum):
    UPHELD = "upheld"  # a moderator acted on it
    DISMISSED = "dismissed"  # nothing to change


class Flag(db.Model):
    """A citizen's "report a problem with this report": into the moderators' queue, once per person while open."""

    __tablename__ = "flag"
    __table_args__ = (
        Index("ix_flag_open_created", "created_at", postgresql_where=text("resolved_at IS NULL")),
        Index("ix_flag_report_id", "report_id"),
        Index("uq_flag_open_report_flagger", "report_id", "flagger", unique=True,
              postgresql_where=text("resolved_at IS NULL")),
        CheckConstraint("(resolved_at IS NULL) = (resolution IS NULL)", name="resolved_has_a_resolution"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    reason: Mapped[Reason] = mapped_column(pg_enum(Reason, "moderation_reason"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # private to moderators
    flagger: Mapped[str] = mapped_column(String(64))  # a keyed hash of who flagged; never their address or cookie
    from_reporter: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[Resolution | None] = mapped_column(pg_enum(Resolution, "flag_resolution"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    report = relationship("Report")
