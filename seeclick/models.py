"""Every model, imported in one place so that Alembic sees the whole metadata."""

from seeclick.accounts.models import Role, User
from seeclick.departments.models import (
    Category,
    CategoryQuestion,
    Datatype,
    Department,
    ServiceArea,
    ServiceAreaPart,
    department_category,
)
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.reports.models import CLOSED_STATUSES, Channel, Report, Status, StatusType, Update, UpdateKind

__all__ = [
    "CLOSED_STATUSES", "Category", "CategoryQuestion", "Channel", "Datatype", "Department", "Neighbourhood",
    "Report", "Role", "ServiceArea", "ServiceAreaPart", "Status", "StatusType", "Update", "UpdateKind", "User",
    "department_category",
]
