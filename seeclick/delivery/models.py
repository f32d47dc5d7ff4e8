"""The city's own systems, how each department's reports reach them, and each report's send state."""

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
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


class SendMethod(enum.StrEnum):
    """How a department's reports leave seeclick."""

    MAIL = "mail"  # as ever: staff work the queue, the department's address gets tickets passed to it
    OPEN311 = "open311"  # posted to the city's own system, whose changes come back
    NONE = "none"  # seeclick is the system of record: the queue only, no mail


class SendState(enum.StrEnum):
    PENDING = "pending"  # not sent yet: queued, or being retried after a failure
    SENT = "sent"
    FAILED = "failed"  # the retries ran out: staff send it again once the city's system is back


class CityUpdates(enum.StrEnum):
    """How the city's changes are read back."""

    SERVICEREQUESTUPDATES = "servicerequestupdates"  # FixMyStreet's extension: one row per change, with an id
    REQUESTS = "requests"  # GET requests with updated_after: the request as it is now
    NONE = "none"


# Open311 when, and only when, a city system is named (a category's method may also be NULL: the department's).
IS_OPEN311 = "(send_method IS NOT DISTINCT FROM 'open311') = (city_system_id IS NOT NULL)"


class CitySystem(db.Model):
    """A city's own GeoReport v2 endpoint: where reports are posted, and where their changes are read."""

    __tablename__ = "city_system"
    __table_args__ = (CheckConstraint("format IN ('xml', 'json')", name="known_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(Text)  # the base URL: {endpoint}/requests.xml
    api_key: Mapped[str] = mapped_column(Text, default="", server_default="")  # sent to the city; never shown
    jurisdiction_id: Mapped[str] = mapped_column(String(200), default="", server_default="")
    format: Mapped[str] = mapped_column(String(4), default="xml", server_default="xml")
    updates: Mapped[CityUpdates] = mapped_column(pg_enum(CityUpdates, "city_updates"),
                                                 default=CityUpdates.SERVICEREQUESTUPDATES,
                                                 server_default="servicerequestupdates")
    # The reporter's name, email and phone go with the report, as the standard's fields.
    send_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The city's changes up to this time have been read.
    checked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    check_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_check_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def __repr__(self):
        return f"<CitySystem {self.code}>"


class CityService(db.Model):
    """The city's service code for one of our categories, where it is not the same code."""

    __tablename__ = "city_service"

    city_system_id: Mapped[int] = mapped_column(ForeignKey("city_system.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(200))


class ReportSend(db.Model):
    """A report on its way to (or in) a city's system: what staff see of it, and the city's own id."""

    __tablename__ = "report_send"
    __table_args__ = (
        UniqueConstraint("report_id", "city_system_id", name="uq_report_send_report_id"),
        UniqueConstraint("city_system_id", "external_id", name="uq_report_send_city_system_id"),
        CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)", name="sent_has_a_time"),
        Index("ix_report_send_unsent", "created_at", postgresql_where=text("state <> 'sent'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    city_system_id: Mapped[int] = mapped_column(ForeignKey("city_system.id", ondelete="CASCADE"))
    state: Mapped[SendState] = mapped_column(pg_enum(SendState, "send_state"), default=SendState.PENDING,
                                             server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))  # the city's service_request_id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    alerted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # staff told it keeps failing

    city_system: Mapped[CitySystem] = relationship()
    report = relationship("Report")


class UpdateSource(db.Model):
    """Where an update of a timeline came from, by the outside id: read or posted again, it adds nothing."""

    __tablename__ = "update_source"
    __table_args__ = (
        CheckConstraint("(city_system_id IS NULL) <> (api_key_id IS NULL)", name="one_source"),
        UniqueConstraint("city_system_id", "external_id", name="uq_update_source_city_system_id"),
        UniqueConstraint("api_key_id", "external_id", name="uq_update_source_api_key_id"),
    )

    update_id: Mapped[int] = mapped_column(ForeignKey("report_update.id"), primary_key=True)
    city_system_id: Mapped[int | None] = mapped_column(ForeignKey("city_system.id", ondelete="CASCADE"))
    api_key_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("api_key.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
