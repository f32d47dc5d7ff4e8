"""Accounts: creating people and checking who signs in. Flush, never commit."""

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from seeclick.accounts import queries
from seeclick.accounts.models import DEPARTMENT_ROLES, Role, User
from seeclick.contact import email_address
from seeclick.departments.models import Department
from seeclick.extensions import db

MIN_PASSWORD = 12
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
    typed = (email or "").strip()
    email = email_address(typed)
    if email is None:
        raise AccountError(_l("%(email)r is not an email address.", email=typed))
    if queries.user_by_email(email):
        raise AccountError(_l("There is already an account for %(email)s.", email=email))
    _check_role(role, department)
    _check_password(password or "")
    user = User(email=email, role=role, department=department, name=name.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, actor: User, role: Role, department: Department | None, name: str, active: bool,
                password: str = "") -> User:
    """Change a person's role, department, name, state or password."""
    _check_role(role, department)
    if user.id == actor.id and (not active or role is not Role.ADMIN):
        raise AccountError(_l("You cannot remove your own administrator access; ask another administrator."), "role")
    if password:
        _check_password(password)
    user.role, user.department, user.name, user.active = role, department, name.strip(), active
    if password:
        user.set_password(password)
    db.session.flush()
    return user


def _check_role(role: Role, department: Department | None) -> None:
    if role in DEPARTMENT_ROLES and department is None:
        raise AccountError(_l("A %(role)s belongs to a department: give one.", role=role.label), "department")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(_l("Choose a password of at least %(count)d characters.", count=MIN_PASSWORD), "password")
