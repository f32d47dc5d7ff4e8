"""Reports and their immutable log of updates."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seeclick.columns import pg_enum
from seeclick.extensions import db
from seeclick.moderation.models import Reason


class StatusType(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Status(enum.StrEnum):
    """Where a report stands; every status is of an open or a closed type."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    NOT_FIXABLE = "not_fixable"
    DUPLICATE = "duplicate"
    NOT_OURS = "not_ours"

    @property
    def type(self) -> StatusType:
        return StatusType.CLOSED if self in CLOSED_STATUSES else StatusType.OPEN

    @property
    def is_open(self) -> bool:
        return self.type is StatusType.OPEN

    @property
    def label(self) -> str:
        """The status in the reader's language: the one word for it on every page, feed, mail and API note."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.NEW: _l("new"), Status.ACKNOWLEDGED: _l("acknowledged"), Status.IN_PROGRESS: _l("in progress"),
    Status.FIXED: _l("fixed"), Status.NOT_FIXABLE: _l("cannot be fixed"), Status.DUPLICATE: _l("duplicate"),
    Status.NOT_OURS: _l("not ours"),
}

CLOSED_STATUSES = frozenset({Status.FIXED, Status.NOT_FIXABLE, Status.DUPLICATE, Status.NOT_OURS})


class Channel(enum.StrEnum):
    """How a report reached us."""

    WEB = "web"
    OPEN311 = "open311"
    PHONE = "phone"
    EMAIL = "email"
    IMPORT = "import"


closed_sql = ", ".join(f"'{s.value}'" for s in sorted(CLOSED_STATUSES))


class ReportState:
    """Whether a report is open and whether it is hidden, from its `status` and `hidden_reason`: for a Report
    and for what its public page reads of it (reports.queries.ReportPage) alike."""

    __slots__ = ()

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def hidden(self) -> bool:
        """Taken from the public, by a moderator or until one has looked at it."""
        return self.hidden_reason is not None


class Report(ReportState, db.Model):
    """A citizen's report of a problem at a place. Reporter contact details are private."""

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_location", "location", postgresql_using="gist"),
        Index("ix_report_department_status", "department_id", "status"),
        Index("ix_report_created_at", "created_at"),
        CheckConstraint("acknowledged_at IS NULL OR acknowledged_at >= created_at", name="acknowledged_after_created"),
        CheckConstraint("closed_at IS NULL OR closed_at >= created_at", name="closed_after_created"),
        CheckConstraint(f"(status IN ({closed_sql})) = (closed_at IS NOT NULL)", name="closed_status_has_closed_at"),
        CheckConstraint("duplicate_of_id <> id", name="not_its_own_duplicate"),
        CheckConstraint("duplicate_of_id IS NULL OR status = 'duplicate'", name="duplicate_is_closed_as_duplicate"),
        CheckConstraint("(hidden_reason IS NULL) = (hidden_at IS NULL)", name="hidden_has_a_time"),
        Index("ix_report_duplicate_of_id", "duplicate_of_id", postgresql_where=text("duplicate_of_id IS NOT NULL")),
        Index("ix_report_open_by_department_created", "department_id", "created_at",
              postgresql_where=text("closed_at IS NULL")),
        Index("ix_report_open_by_department_due", "department_id", "due_at",
              postgresql_where=text("closed_at IS NULL")),
        Index("ix_report_open_location", "location", postgresql_using="gist",
              postgresql_where=text("closed_at IS NULL")),
        # What a neighbourhood's page shows of its open reports, read from the index alone: migration 0022.
        Index("ix_report_open_in_neighbourhood", "neighbourhood_id", "created_at",
              postgresql_include=["public_id", "due_at", "category_id", "location", "hidden_reason"],
              postgresql_where=text("closed_at IS NULL")),
        Index("ix_report_category_created", "category_id", "created_at"),
        # Time then place, used only by queries that state its (always true) predicate: migration 0011.
        Index("ix_report_time_place", "created_at", "location", postgresql_using="gist",
              postgresql_where=text("map_key IS NOT NULL")),
        Index("ix_report_map_key", "map_key",
              postgresql_include=["category_id", "department_id", "created_at", "closed_at"]),
        Index("ix_report_open_by_category_created", "category_id", "created_at",
              postgresql_where=text("closed_at IS NULL")),
        # Place and time together (btree_gist): a box or circle within a date window.
        Index("ix_report_location_created", "location", "created_at", postgresql_using="gist"),
        # A category's history in a department (reports.queries.history) from the index alone: migration 0023.
        Index("ix_report_closed_history", "department_id", "category_id", "closed_at",
              postgresql_include=["status", "created_at"], postgresql_where=text("closed_at IS NOT NULL")),
        # One reporter's reports (their own data), and the closed ones whose contact is due for removal.
        Index("ix_report_reporter_email", text("lower(reporter_email)")),
        Index("ix_report_contact_held_closed", "closed_at",
              postgresql_where=text("closed_at IS NOT NULL AND contact_removed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(40), unique=True, server_default=func.nextval("report_public_id_seq").cast(String)
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    address: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict] = mapped_column(JSONB, default=dict)
    status: Mapped[Status] = mapped_column(pg_enum(Status, "report_status"), default=Status.NEW)
    channel: Mapped[Channel] = mapped_column(pg_enum(Channel, "report_channel"), default=Channel.WEB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Private: never shown on a public page, feed, export or API answer.
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    # A keyed hash of the token of the browser that sent it (so a ban can name the browser); never the token.
    reporter_browser: Mapped[str | None] = mapped_column(String(64))
    # The language the reporter wrote in (seeclick.languages): their receipt and the mail that follows it are in it.
    reporter_locale: Mapped[str] = mapped_column(String(16), server_default="en", default="en")
    # When the contact details above were removed (the reporter asked, or the report was closed long ago).
    contact_removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The report this one was merged into, when it was closed as a duplicate.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    # Bumped by every change; a change made from a stale copy is refused (optimistic locking).
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # The key the citizen's form carried: a double tap or a retry finds the report already made.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Given without the map (a neighbourhood and the address typed in): the point is the neighbourhood's.
    location_approximate: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    # Taken from the public by a moderator (or held for review): the reason the public reads.
    hidden_reason: Mapped[Reason | None] = mapped_column(pg_enum(Reason, "moderation_reason"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The reporter's (or a follower's) answer to "was it fixed?" after its latest close as fixed; None: no answer.
    fix_confirmed: Mapped[bool | None] = mapped_column(Boolean)
    # How many times it was reopened: a reopen is counted as such, never as a second close.
    reopens: Mapped[int] = mapped_column(SmallInteger, server_default="0", default=0)
    # The description or address holds what looks like an email address or a phone number (marked for staff).
    contact_in_text: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    # The place as one Z-order number (migration 0010): a map tile's reports are one range of it.
    map_key: Mapped[int] = mapped_column(BigInteger, Computed("map_key(location)", persisted=True))
    # Links to media a client gave (Open311 media_url): shown as links, never fetched by the server.
    media_urls: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")

    # eager_defaults: the public id (a sequence default) comes back with the INSERT, in one round trip.
    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}

    category = relationship("Category")
    department = relationship("Department")
    neighbourhood = relationship("Neighbourhood")
    duplicate_of = relationship("Report", remote_side=[id])
    updates: Mapped[list["Update"]] = relationship(
        back_populates="report", order_by="Update.created_at", foreign_keys="Update.report_id"
    )

    photos = relationship("Photo", order_by="Photo.id", primaryjoin="and_(Photo.report_id == Report.id, "
                          "Photo.update_id.is_(None))", viewonly=True)

    @property
    def display_name(self) -> str | None:
        """The reporter's name on public pages, only when they asked for it."""
        return self.reporter_name if self.show_name and self.reporter_name else None

    def __repr__(self):
        return f"<Report {self.public_id} {self.status}>"


class Support(db.Model):
    """One person's “me too” on a report: counted once per person (a browser, or an email address)."""

    __tablename__ = "report_support"
    __table_args__ = (UniqueConstraint("report_id", "supporter"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    supporter: Mapped[str] = mapped_column(String(64))  # a keyed hash; never the person's address or cookie
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UpdateKind(enum.StrEnum):
    STATUS = "status"  # a change of status, with its public note
    COMMENT = "comment"  # a note, public or internal, with no change of status
    REASSIGN = "reassign"  # sent to another department; the body says why


class Update(db.Model):
    """One event in a report's life. Rows are never changed or deleted (a trigger refuses)."""

    __tablename__ = "report_update"
    __table_args__ = (
        Index("ix_report_update_report_created", "report_id", "created_at"),
        Index("ix_report_update_public_created", "created_at", postgresql_where=text("public")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"))
    kind: Mapped[UpdateKind] = mapped_column(pg_enum(UpdateKind, "update_kind"))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    old_status: Mapped[Status | None] = mapped_column(pg_enum(Status, "report_status"))
    new_status: Mapped[Status | None] = mapped_column(pg_enum(Status, "report_status"))
    body: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    from_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    to_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Links to media given with the update (a FixMyStreet site's, a city's): shown as links, never fetched.
    media_urls: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")

    report: Mapped[Report] = relationship(back_populates="updates")
    user = relationship("User")
    from_department = relationship("Department", foreign_keys=[from_department_id])
    to_department = relationship("Department", foreign_keys=[to_department_id])
