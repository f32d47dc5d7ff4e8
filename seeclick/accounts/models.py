"""People who sign in: citizens, department staff, managers and administrators."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from seeclick.columns import pg_enum
from seeclick.extensions import db


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role in the reader's language."""
        return ROLE_LABELS[self]


ROLE_LABELS = {Role.CITIZEN: _l("citizen"), Role.STAFF: _l("staff"), Role.MANAGER: _l("manager"),
               Role.ADMIN: _l("administrator")}
# Who works the queues; staff and managers belong to a department, administrators to all.
STAFF_ROLES = frozenset({Role.STAFF, Role.MANAGER, Role.ADMIN})
DEPARTMENT_ROLES = frozenset({Role.STAFF, Role.MANAGER})


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        Index("uq_user_account_email_lower", text("lower(email)"), unique=True),
        CheckConstraint(
            "role NOT IN ('staff', 'manager') OR department_id IS NOT NULL", name="staff_have_department"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(pg_enum(Role, "user_role"), default=Role.CITIZEN)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(16))  # the language they chose; None: their browser's
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    department = relationship("Department")

    @property
    def is_active(self):
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
