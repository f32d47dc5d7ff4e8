"""Departments, the places they serve and the categories of problem they handle."""

import enum
from datetime import timedelta

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seeclick.extensions import db

department_category = Table(
    "department_category",
    db.metadata,
    Column("department_id", ForeignKey("department.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)


class Department(db.Model):
    """A team that can act on reports: a borough's transportation office, a sanitation district."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))

    service_areas: Mapped[list["ServiceArea"]] = relationship(back_populates="department")
    categories: Mapped[list["Category"]] = relationship(
        secondary=department_category, back_populates="departments"
    )

    def __repr__(self):
        return f"<Department {self.code}>"


class ServiceArea(db.Model):
    """Where a department works; area_m2 and the subdivided parts are kept by a trigger."""

    __tablename__ = "service_area"
    __table_args__ = (Index("ix_service_area_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    area_m2: Mapped[float | None] = mapped_column(Float)

    department: Mapped[Department] = relationship(back_populates="service_areas")


class ServiceAreaPart(db.Model):
    """A piece of a service area from ST_Subdivide (at most 64 vertices): small boxes, fast point-in-polygon."""

    __tablename__ = "service_area_part"
    __table_args__ = (Index("ix_service_area_part_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_area_id: Mapped[int] = mapped_column(
        ForeignKey("service_area.id", ondelete="CASCADE"), index=True
    )
    # Copies of the area's department and size, so that a routing lookup needs no join.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    area_m2: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False)


class Datatype(enum.StrEnum):
    """Open311 attribute datatypes."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


class Category(db.Model):
    """A kind of problem a citizen can report (an Open311 service)."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column("group_name", String(100), default="")
    keywords: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    sla_hours: Mapped[int] = mapped_column(Integer)
    fallback_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

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
    datatype: Mapped[Datatype] = mapped_column(
        db.Enum(Datatype, name="question_datatype", values_callable=lambda e: [m.value for m in e])
    )
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # For the list datatypes: [{"key": "...", "name": "..."}, ...] in display order.
    values: Mapped[list[dict]] = mapped_column(JSONB, default=list)

    category: Mapped[Category] = relationship(back_populates="questions")
