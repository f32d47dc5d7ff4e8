"""Departments and the places they serve; which categories each handles is department_category."""

from typing import TYPE_CHECKING

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, Column, Float, ForeignKey, Index, SmallInteger, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seeclick.columns import pg_enum
from seeclick.delivery.models import IS_OPEN311, CitySystem, SendMethod
from seeclick.extensions import db

if TYPE_CHECKING:
    from seeclick.categories.models import Category

department_category = Table(
    "department_category",
    db.metadata,
    Column("department_id", ForeignKey("department.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)


class Department(db.Model):
    """A team that can act on reports: a borough's transportation office, a sanitation district."""

    __tablename__ = "department"
    __table_args__ = (CheckConstraint("questionnaire_days BETWEEN 0 AND 90", name="questionnaire_days_in_range"),
                      CheckConstraint(IS_OPEN311, name="open311_has_a_city_system"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Who moderates its reports: its managers (and the city's administrators) always, its staff when this is set.
    staff_moderate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Days after a close as fixed that its reporter and followers are asked whether it is (0: never asked).
    questionnaire_days: Mapped[int] = mapped_column(SmallInteger, default=7, server_default="7")
    # How its reports leave seeclick (a category may say otherwise for its own reports).
    send_method: Mapped[SendMethod] = mapped_column(pg_enum(SendMethod, "send_method"), default=SendMethod.MAIL,
                                                    server_default="mail")
    city_system_id: Mapped[int | None] = mapped_column(ForeignKey("city_system.id"))
    city_system: Mapped[CitySystem | None] = relationship()

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
