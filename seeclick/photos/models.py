"""Photos: what a citizen attached to a report, or staff to a closing update (the "after" photo)."""

import secrets
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from seeclick.columns import pg_enum
from seeclick.extensions import db
from seeclick.moderation.models import Reason


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Photo(db.Model):
    """A re-encoded image with no metadata, and its thumbnail.

    Uploaded before the report exists (staged, report_id NULL) so a flaky connection sends it
    once and a form shown again keeps it; staged photos never attached are purged after a day.
    The bytes are in a photo store (`store`, `key`: seeclick/photos/storage.py), written before
    the row commits, so a report and its photos are still saved, or not, in one transaction;
    photos from before the stores keep theirs in the row (store "database", image and thumbnail).
    """

    __tablename__ = "photo"
    __table_args__ = (
        Index("ix_photo_report_id", "report_id"),
        Index("ix_photo_staged_created_at", "created_at", postgresql_where=text("report_id IS NULL")),
        CheckConstraint("update_id IS NULL OR report_id IS NOT NULL", name="after_photo_has_report"),
        CheckConstraint("(hidden_reason IS NULL) = (hidden_at IS NULL)", name="hidden_has_a_time"),
        CheckConstraint("CASE WHEN store = 'database' THEN image IS NOT NULL AND thumbnail IS NOT NULL "
                        "ELSE key IS NOT NULL END", name="bytes_somewhere"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True, default=new_token)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("report_update.id"))
    # Where the bytes are: "database" (image and thumbnail here), "local" or "s3" (objects named by key).
    store: Mapped[str] = mapped_column(String(16), server_default="database")
    key: Mapped[str | None] = mapped_column(String(40), unique=True)
    image: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Taken from the public by a moderator: not served to the public, the reason shown in its place.
    hidden_reason: Mapped[Reason | None] = mapped_column(pg_enum(Reason, "moderation_reason"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
