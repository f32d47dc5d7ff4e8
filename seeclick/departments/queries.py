"""Reads of departments: by code, and all of them in the orders the pages list them."""

from sqlalchemy import select

from seeclick.departments.models import Department
from seeclick.extensions import db


def by_code(code: str) -> Department | None:
    return db.session.scalar(select(Department).where(Department.code == code))


def by_id(department_id: int) -> Department | None:
    return db.session.get(Department, department_id)


def by_name() -> list[Department]:
    return db.session.scalars(select(Department).order_by(Department.name)).all()


def by_agency() -> list[Department]:
    return db.session.scalars(select(Department).order_by(Department.agency, Department.code)).all()


def by_ids(ids) -> list[Department]:
    return db.session.scalars(select(Department).where(Department.id.in_(list(ids) or [0]))).all()
