"""Categories of problem citizens report (Open311 services) and the questions each asks."""

import enum
from datetime import datetime, timedelta

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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seeclick.columns import pg_enum
from seeclick.delivery.models import IS_OPEN311, CitySystem, SendMethod
from seeclick.departments.models import Department, department_category
from seeclick.extensions import db


class Datatype(enum.StrEnum):
    """Open311 attribute datatypes."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


class ReopenPolicy(enum.StrEnum):
    """What a reporter's "no, it is not fixed" does."""

    STAFF_DECIDE = "staff_decide"  # a request to reopen in the department's queue
    AT_ONCE = "at_once"  # the report reopens, and the department is told


class Category(db.Model):
    """A kind of problem a citizen can report (an Open311 service)."""

    __tablename__ = "category"
    __table_args__ = (CheckConstraint(IS_OPEN311, name="open311_has_a_city_system"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column("group_name", String(100), default="")
    keywords: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    sla_hours: Mapped[int] = mapped_column(Integer)
    fallback_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # New reports wait for a moderator before they are public (FixMyStreet's "moderate before publishing").
    review_first: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    reopen_policy: Mapped[ReopenPolicy] = mapped_column(pg_enum(ReopenPolicy, "reopen_policy"),
                                                        default=ReopenPolicy.STAFF_DECIDE,
                                                        server_default="staff_decide")
    # Imported from a city's list that says metadata=true, without its definition yet: its questions are to come.
    definition_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # How its reports leave seeclick, whichever department takes them; None: as the department says.
    send_method: Mapped[SendMethod | None] = mapped_column(pg_enum(SendMethod, "send_method"))
    city_system_id: Mapped[int | None] = mapped_column(ForeignKey("city_system.id"))
    city_system: Mapped[CitySystem | None] = relationship()

    departments: Mapped[list[Department]] = relationship(
        secondary=department_category, back_populates="categories"
    )
    fallback_department: Mapped[Department | None] = relationship()
    questions: Mapped[list["CategoryQuestion"]] = relationship(
        back_populates="category", order_by="CategoryQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def sla(self) -> timedelta:
        return timedelta(hours=self.sla_hours)

    def __repr__(self):
        return f"<Category {self.code}>"


class CategoryQuestion(db.Model):
    """A question asked when reporting in a category (an Open311 attribute)."""

    __tablename__ = "category_question"
    __table_args__ = (UniqueConstraint("category_id", "code", name="uq_category_question_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    prompt: Mapped[str] = mapped_column(Text)
    datatype: Mapped[Datatype] = mapped_column(pg_enum(Datatype, "question_datatype"))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # For the list datatypes: [{"key": "...", "name": "..."}, ...] in display order.
    values: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    # Staff only: the answer is never on a public page, feed, export or API answer (the question still is).
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Help about the answer, as the city's definition gives it (Open311 datatype_description).
    datatype_description: Mapped[str] = mapped_column(Text, default="", server_default="")

    category: Mapped[Category] = relationship(back_populates="questions")


class TargetHistory(db.Model):
    """A category's target to close, each time it was set: figures judged against a target say which one."""

    __tablename__ = "target_history"
    __table_args__ = (Index("ix_target_history_category_changed", "category_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"))
    sla_hours: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    changed_by = relationship("User")
    category = relationship("Category")
