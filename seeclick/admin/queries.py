"""Reads for the admin pages."""

import json

from sqlalchemy import func, select

from seeclick.accounts.models import User
from seeclick.categories.models import Category
from seeclick.departments.models import Department, ServiceArea
from seeclick.extensions import db


def departments_with_counts():
    """Every department with how many service areas and users it has."""
    areas = select(func.count(ServiceArea.id)).where(ServiceArea.department_id == Department.id).scalar_subquery()
    users = select(func.count(User.id)).where(User.department_id == Department.id).scalar_subquery()
    return db.session.execute(
        select(Department, areas.label("areas"), users.label("users")).order_by(Department.agency, Department.code)
    ).all()


def service_areas_geojson(department_id: int, tolerance: float = 0.0001) -> dict:
    """A department's areas, lightly simplified for display, as a FeatureCollection."""
    rows = db.session.execute(
        select(ServiceArea.id, ServiceArea.name, ServiceArea.area_m2,
               func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(ServiceArea.geom, tolerance), 5))
        .where(ServiceArea.department_id == department_id).order_by(ServiceArea.name)
    ).all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(geometry),
         "properties": {"id": area_id, "name": name, "km2": round((area or 0) / 1e6, 2)}}
        for area_id, name, area, geometry in rows
    ]}


def service_area(area_id: int) -> ServiceArea | None:
    return db.session.get(ServiceArea, area_id)


def user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def categories():
    return db.session.scalars(select(Category).order_by(Category.group, Category.name)).all()


def category(code: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.code == code))
