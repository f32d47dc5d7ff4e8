"""API keys, and a city's existing Open311 services imported as categories. Flush, never commit."""

import re
from datetime import UTC, datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from seeclick.categories import queries as categories
from seeclick.categories.models import Category, CategoryQuestion, Datatype
from seeclick.delivery.models import UpdateSource
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.open311.models import ApiKey, digest, new_key
from seeclick.open311.serialize import FROM_FMS
from seeclick.reports import services as reports
from seeclick.reports.models import Report, Status


def create_key(name: str, created_by=None) -> tuple[ApiKey, str]:
    """A new key; the key itself is returned once and only its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise ValueError(_l("Say who the key is for."))
    key = new_key()
    api_key = ApiKey(name=name[:200], key_hash=digest(key), prefix=key[:10],
                     created_by_id=getattr(created_by, "id", None))
    db.session.add(api_key)
    db.session.flush()
    return api_key, key


def revoke(key_id: int) -> ApiKey | None:
    api_key = db.session.get(ApiKey, key_id)
    if api_key is not None and api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
    return api_key


SERVICE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,59}")


class ImportRefused(ValueError):
    pass


def import_services(services: list[dict], definitions: dict[str, dict], desk: Department, sla_hours: int,
                    replace: bool = False, private: set[str] = frozenset()) -> tuple[int, int]:
    """Make (or, with replace, remake) a category per Open311 service: (made, remade). All or nothing.

    Codes and list keys are kept exactly as the city has them, so its clients keep working; the
    city-wide desk takes the new categories until departments are set to handle them at /admin.
    Every question's answers are public unless its attribute code is in `private`.
    """
    made = remade = 0
    for service in services:
        code = str(service["service_code"]).strip()
        if not SERVICE_CODE.fullmatch(code):
            raise ImportRefused(f"service_code {code!r}: up to 60 letters, digits, dots, dashes and underscores")
        metadata = str(service.get("metadata", "")).strip().lower() == "true" or service.get("metadata") is True
        definition = definitions.get(code)
        if metadata and definition is None:
            raise ImportRefused(f"service {code} has metadata=true but no definition file ({code}.json or .xml)")
        category = categories.by_code(code)
        if category is not None and not replace:
            raise ImportRefused(f"there is already a category {code}; use --replace to take the city's version")
        if category is None:
            category = Category(code=code, active=True)
            db.session.add(category)
            made += 1
        else:
            remade += 1
            category.questions.clear()
        notes = [a["description"] for a in (definition or {}).get("attributes", []) if not a["variable"]]
        category.name = str(service["service_name"]).strip()[:200]
        category.description = "\n\n".join(filter(None, [str(service.get("description") or "").strip(), *notes]))
        category.group = str(service.get("group") or "").strip()[:100]
        category.keywords = [k.strip().lower()[:60] for k in str(service.get("keywords") or "").split(",")
                             if k.strip()][:20]
        category.sla_hours = sla_hours
        if category.fallback_department_id is None and not category.departments:
            category.fallback_department = desk
        seen = set()
        for position, attribute in enumerate(a for a in (definition or {}).get("attributes", []) if a["variable"]):
            if not SERVICE_CODE.fullmatch(attribute["code"]) or attribute["code"] in seen:
                raise ImportRefused(f"service {code}: attribute code {attribute['code']!r} is empty, repeated or "
                                    "not made of letters, digits, dots, dashes and underscores")
            seen.add(attribute["code"])
            if attribute["datatype"].endswith("valuelist") and not attribute["values"]:
                raise ImportRefused(f"service {code}: the list attribute {attribute['code']} has no values")
            category.questions.append(CategoryQuestion(
                code=attribute["code"], prompt=attribute["description"] or attribute["code"],
                datatype=Datatype(attribute["datatype"]), required=attribute["required"], position=position,
                values=attribute["values"] if attribute["datatype"].endswith("valuelist") else [],
                private=attribute["code"] in private))
        db.session.flush()
    return made, remade


# What a FixMyStreet site's status claims, as the kind of status it is here.
CLAIMS_CLOSED = {word for word, status in FROM_FMS.items() if not Status(status).is_open} | {"closed"}
CLAIMS_OPEN = {"open", "reopen"}


def post_update(api_key_id: int, report: Report, external_id: str, status: str, description: str,
                media_urls: list[str]) -> tuple[int, bool]:
    """A citizen's update from a FixMyStreet site (its servicerequestupdates POST): (our update id, made now).

    The words go on the public timeline, by nobody of ours. Citizens do not close or reopen reports
    here, staff do: when the site says the problem is fixed, or back, and our status says otherwise,
    staff read that in an internal note beside it. The same update id from the same client, posted
    again, is the update already made.
    """
    status = status.strip().lower()
    note = reports.add_outside_note(report, description, media_urls)
    db.session.add(UpdateSource(update_id=note.id, api_key_id=api_key_id, external_id=external_id))
    if (status in CLAIMS_CLOSED and report.is_open) or (status in CLAIMS_OPEN and not report.is_open):
        reports.add_outside_note(report, gettext("The FixMyStreet site says the problem is “%(status)s”; the status "
                                            "here is “%(ours)s”. Check it, and change the status if it is so.",
                                            status=status.replace("_", " "), ours=report.status.label),
                                 public=False)
    db.session.flush()
    return note.id, True
