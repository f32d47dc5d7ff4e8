"""Every model, imported in one place so that Alembic sees the whole metadata.

Only Alembic (migrations/env.py) and create_app() import this module; domain code imports the
models it uses from their own package (`seeclick.reports.models`, ...).
"""

from geoalchemy2 import alembic_helpers

from seeclick.accounts.models import Role, User
from seeclick.addresses.models import Address
from seeclick.bans.models import Ban, BanKind
from seeclick.categories.models import Category, CategoryQuestion, Datatype, TargetHistory
from seeclick.delivery.models import CityService, CitySystem, ReportSend, UpdateSource
from seeclick.departments.models import Department, ServiceArea, ServiceAreaPart, department_category
from seeclick.health.models import job_run
from seeclick.moderation.models import Flag, HiddenUpdate, Moderation
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.notifications.models import Event, Follower, Notification, Watch
from seeclick.open311.models import ApiKey
from seeclick.photos.models import Photo
from seeclick.privacy.models import ContactRemoval, RemovalRule
from seeclick.publicmap.models import map_cell, map_delta, map_total
from seeclick.questionnaires.models import Questionnaire, ReopenRequest
from seeclick.reports.models import (
    CLOSED_STATUSES,
    Channel,
    Report,
    Status,
    StatusType,
    Support,
    Update,
    UpdateKind,
)
from seeclick.stats.models import (
    stats_count,
    stats_delta,
    stats_histogram,
    stats_neighbourhood_category,
    stats_open,
    stats_result,
    stats_state,
)

__all__ = [
    "Address", "ApiKey", "Ban", "BanKind", "CLOSED_STATUSES", "Category", "CategoryQuestion", "Channel", "CityService",
    "CitySystem", "ContactRemoval", "Datatype", "Department", "Event", "Flag", "Follower", "HiddenUpdate",
    "Moderation", "Neighbourhood", "Notification", "Photo", "Questionnaire", "RemovalRule", "ReopenRequest",
    "Report", "ReportSend", "Role", "ServiceArea", "ServiceAreaPart", "Status", "StatusType", "Support",
    "TargetHistory", "Update", "UpdateKind", "UpdateSource", "User", "Watch", "department_category", "job_run",
    "map_cell", "map_delta", "map_total", "stats_count", "stats_delta", "stats_histogram",
    "stats_neighbourhood_category", "stats_open", "stats_result", "stats_state"
]


def include_object(obj, name, type_, reflected, compare_to):
    """What Alembic compares: our tables, not the job queue's (its own schema, applied by a migration)."""
    if type_ == "table" and name.startswith("procrastinate_"):
        return False
    if type_ in ("index", "column", "unique_constraint", "foreign_key_constraint") and \
            getattr(getattr(obj, "table", None), "name", "").startswith("procrastinate_"):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
