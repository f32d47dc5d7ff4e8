"""Accounts: creating people and checking who signs in. Flush, never commit."""

import re

from werkzeug.security import check_password_hash, generate_password_hash

from seeclick.accounts import queries
from seeclick.extensions import db
from seeclick.models import Department, Role, User

MIN_PASSWORD = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked when the email is unknown, so that a wrong address costs as long as a wrong password.
_DECOY_HASH = generate_password_hash("decoy password for timing", method="scrypt")


class AccountError(ValueError):
    """Input that cannot make or change an account; `field` says which input is at fault."""

    def __init__(self, message, field="email"):
        super().__init__(message)
        self.field = field


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (in about the same time either way)."""
    user = queries.user_by_email(email or "")
    if user is None:
        check_password_hash(_DECOY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def create_user(email: str, password: str, role: Role, department: Department | None = None, name: str = "") -> User:
    email = (email or "").strip()
    if not EMAIL.match(email):
        raise AccountError(f"{email!r} is not an email address.")
    if queries.user_by_email(email):
        raise AccountError(f"There is already an account for {email}.")
    if role in (Role.STAFF, Role.MANAGER) and department is None:
        raise AccountError(f"A {role} belongs to a department: give one.", "department")
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD} characters.", "password")
    user = User(email=email, role=role, department=department, name=name.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_department(code: str, name: str, agency: str, email: str | None = None) -> Department:
    code = (code or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", code):
        raise AccountError(f"{code!r}: a department code is up to 40 lowercase letters, digits and dashes.", "code")
    if queries.department_by_code(code):
        raise AccountError(f"There is already a department {code}.", "code")
    if not (name or "").strip():
        raise AccountError("Give the department a name.", "name")
    department = Department(code=code, name=name.strip(), agency=(agency or code).strip().lower(), email=email)
    db.session.add(department)
    db.session.flush()
    return department


def update_user(user: User, actor: User, role: Role, department: Department | None, name: str, active: bool,
                password: str = "") -> User:
    """Change a person's role, department, name, state or password."""
    if role in (Role.STAFF, Role.MANAGER) and department is None:
        raise AccountError(f"A {role} belongs to a department: give one.", "department")
    if user.id == actor.id and (not active or role is not Role.ADMIN):
        raise AccountError("You cannot remove your own administrator access; ask another administrator.", "role")
    if password and len(password) < MIN_PASSWORD:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD} characters.", "password")
    user.role, user.department, user.name, user.active = role, department, name.strip(), active
    if password:
        user.set_password(password)
    db.session.flush()
    return user


def update_department(department: Department, name: str, agency: str, email: str | None) -> Department:
    if not (name or "").strip():
        raise AccountError("Give the department a name.", "name")
    department.name = name.strip()
    department.agency = (agency or department.agency).strip().lower()
    department.email = email or None
    db.session.flush()
    return department
