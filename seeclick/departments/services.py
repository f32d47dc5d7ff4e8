"""Departments: creating and changing the teams that act on reports. Flush, never commit."""

import re

from flask_babel import lazy_gettext as _l

from seeclick.departments import queries
from seeclick.departments.models import Department
from seeclick.extensions import db

CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class DepartmentError(ValueError):
    """Input that cannot make or change a department; `field` says which input is at fault."""

    def __init__(self, message, field="code"):
        super().__init__(message)
        self.field = field


def create_department(code: str, name: str, agency: str | None, email: str | None = None) -> Department:
    code = (code or "").strip().lower()
    if not CODE.fullmatch(code):
        raise DepartmentError(_l("%(code)r: a department code is up to 40 lowercase letters, digits and dashes.",
                                 code=code), "code")
    if queries.by_code(code):
        raise DepartmentError(_l("There is already a department %(code)s.", code=code), "code")
    if not (name or "").strip():
        raise DepartmentError(_l("Give the department a name."), "name")
    department = Department(code=code, name=name.strip(), agency=(agency or code).strip().lower(), email=email)
    db.session.add(department)
    db.session.flush()
    return department


def update_department(department: Department, name: str, agency: str | None, email: str | None,
                      staff_moderate: bool | None = None, questionnaire_days: int | None = None) -> Department:
    if not (name or "").strip():
        raise DepartmentError(_l("Give the department a name."), "name")
    if questionnaire_days is not None and not 0 <= questionnaire_days <= 90:
        raise DepartmentError(_l("Ask between 0 (never) and 90 days after the close."), "questionnaire_days")
    if staff_moderate is not None:
        department.staff_moderate = staff_moderate
    if questionnaire_days is not None:
        department.questionnaire_days = questionnaire_days
    department.name = name.strip()
    department.agency = (agency or department.agency).strip().lower()
    department.email = email or None
    db.session.flush()
    return department
