from sqlalchemy import func, select

from seeclick.extensions import db
from seeclick.models import Department, User


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def department_by_code(code: str) -> Department | None:
    return db.session.scalar(select(Department).where(Department.code == code))


def users_select():
    return select(User).order_by(User.role, User.email)
