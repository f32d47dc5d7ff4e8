"""Who follows a report, and the outbox of mail to send them."""

import enum
import secrets
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
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


class Subscription:
    """Mail someone asked for, started and stopped from links carrying its token (a follower, a watch).

    Confirmed from a link first, so nobody can sign someone else up; private, never shown.
    """

    token: Mapped[str] = mapped_column(String(40), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The language the person asked in: their mail is written in it (seeclick.languages).
    locale: Mapped[str] = mapped_column(String(16), server_default="en", default="en")

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.stopped_at is None


class Follower(Subscription, db.Model):
    """An email address that gets a report's public updates.

    The reporter is one (confirmed when they give an address with the report); anyone else
    confirms from a link first, so nobody can sign someone else up. Private: never shown.
    """

    __tablename__ = "follower"
    __table_args__ = (Index("uq_follower_report_email", "report_id", text("lower(email)"), unique=True),
                      Index("ix_follower_email", text("lower(email)")))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))

    report = relationship("Report")


class Event(enum.StrEnum):
    SUBMITTED = "submitted"  # to the reporter: we have it, here is where it went
    UPDATE = "update"  # to followers: a public change of status or a public note
    ASSIGNED = "assigned"  # to a department: a ticket was passed to you
    CONFIRM = "confirm"  # to a new follower or watcher: confirm you want mail
    DIGEST = "digest"  # to a watcher: the new reports in their neighbourhood or circle
    OWN_DATA = "own_data"  # to anyone who asks: the link to what is held under their address
    QUESTIONNAIRE = "questionnaire"  # to the reporter and followers: was it really fixed?
    SEND_FAILED = "send_failed"  # to a department: a report keeps failing to reach the city's system


class Notification(db.Model):
    """One email to one address about one event: the outbox the job queue drains.

    Written in the same transaction as the change it tells of, so a change is never made
    without its mail nor mail sent for a change that was rolled back. (event_key, recipient)
    is unique: one event never makes two emails to the same address.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_key", "recipient"),
        Index("ix_notification_unsent", "created_at", postgresql_where=text("sent_at IS NULL")),
        Index("ix_notification_recipient", text("lower(recipient)")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event: Mapped[Event] = mapped_column(pg_enum(Event, "notification_event"))
    event_key: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(254))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Watch(Subscription, db.Model):
    """An email address that gets a digest of new reports in a neighbourhood or within a circle.

    Confirmed from a link first, like a follower; private, never shown.
    """

    __tablename__ = "watch"
    __table_args__ = (
        CheckConstraint("(neighbourhood_id IS NULL) <> (centre IS NULL)", name="neighbourhood_or_circle"),
        CheckConstraint("centre IS NULL OR radius_m BETWEEN 50 AND 5000", name="sensible_radius"),
        Index("ix_watch_email", text("lower(email)")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id", ondelete="CASCADE"))
    centre = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    radius_m: Mapped[int | None] = mapped_column(Integer)
    # New reports made after this are in the next digest.
    covered_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    neighbourhood = relationship("Neighbourhood")
