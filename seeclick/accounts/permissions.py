"""Who may do what: plain functions of a user and a report, and the decorator that guards a view by role."""

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from seeclick.accounts.models import STAFF_ROLES, Role
from seeclick.extensions import login_manager


class NotAllowed(PermissionError):
    pass


def can_act(user, report) -> bool:
    """Admins act on every report; staff and managers on their own department's; nobody else on any."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role is Role.ADMIN:
        return True
    return user.role in (Role.STAFF, Role.MANAGER) and user.department_id == report.department_id


def require_can_act(user, report) -> None:
    if not can_act(user, report):
        raise NotAllowed(_l("You can act only on your own department's reports."))


def can_moderate(user, report) -> bool:
    """Take things back from the public: admins everywhere; managers of the report's department; its staff too
    when the department lets them (Department.staff_moderate)."""
    if not can_act(user, report):
        return False
    if user.role in (Role.ADMIN, Role.MANAGER):
        return True
    return bool(report.department.staff_moderate)


def moderates_anything(user) -> bool:
    """Whether the moderation queue has anything for this person: admins, managers, and staff of a department
    that lets its staff moderate."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role in (Role.ADMIN, Role.MANAGER):
        return True
    return user.role is Role.STAFF and bool(user.department and user.department.staff_moderate)


def require_can_moderate(user, report) -> None:
    if not can_moderate(user, report):
        raise NotAllowed(_l("Only a moderator of this department can take things back from the public."))


def role_required(*roles: Role):
    """A view for signed-in people with one of these roles: anyone signed out is sent to sign in, others refused."""
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = allowed  # read by the role-by-URL test
        return wrapped

    return decorate


staff_required = role_required(*STAFF_ROLES)
admin_required = role_required(Role.ADMIN)
