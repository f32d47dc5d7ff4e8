"""Who may act on a report: plain functions of a user and a report."""

from seeclick.accounts.models import Role


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
        raise NotAllowed("You can act only on your own department's reports.")
