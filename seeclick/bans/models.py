"""Bans: an email address, a phone number or a browser that may not send reports until a date."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seeclick.columns import pg_enum
from seeclick.extensions import db


class BanKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    BROWSER = "browser"

    @property
    def label(self) -> str:
        return BAN_KIND_LABELS[self]


BAN_KIND_LABELS = {BanKind.EMAIL: _l("email address"), BanKind.PHONE: _l("phone number"),
                   BanKind.BROWSER: _l("browser")}


class Ban(db.Model):
    """One address, number or browser refused until `expires_at`, or until someone lifts it; who and when kept.

    `value` is what a submission is matched on (bans.matching): the address in lower case, the
    number's digits, or the keyed hash of a browser's token that a report remembered; never the
    token itself, which nobody, staff included, ever sees.
    """

    __tablename__ = "ban"
    __table_args__ = (
        Index("ix_ban_kind_value", "kind", "value"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[BanKind] = mapped_column(pg_enum(BanKind, "ban_kind"))
    value: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(Text)
    # The report it was made from ("ban this reporter"), which also names a browser for the list.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    report = relationship("Report")
    created_by = relationship("User", foreign_keys=[created_by_id])
    lifted_by = relationship("User", foreign_keys=[lifted_by_id])

    def in_force(self, now: datetime) -> bool:
        return self.lifted_at is None and self.expires_at > now
