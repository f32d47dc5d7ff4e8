"""Reads of accounts."""

from sqlalchemy import func, select

from seeclick.accounts.models import User
from seeclick.extensions import db


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def users() -> list[User]:
    return db.session.scalars(select(User).order_by(User.role, User.email)).all()
