"""API keys, and a city's existing Open311 services imported as categories. Flush, never commit."""

import re
from dataclasses import dataclass, field
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
                    replace: bool = False, private: set[str] = frozenset()) -> "Imported":
    """Make (or, with replace, remake) a category per Open311 service. All or nothing.

    Codes, list keys and keywords are kept exactly as the city has them, so its clients keep working;
    the city-wide desk takes the new categories until departments are set to handle them at /admin.
    Every question's answers are public unless its attribute code is in `private` (or it was made
    private here before). A service that says metadata=true but whose definition is not at hand is
    imported without its questions, marked as waiting for them (`Imported.pending` names them all);
    importing again with the definition asks them. Replacing keeps each question whose attribute
    code the city still uses (the same row, so answers already given stay tied to it), changes it to
    the city's version, and removes those the city no longer asks.
    """
    result = Imported()
    codes = [str(service["service_code"]).strip() for service in services]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ImportRefused(f"the list gives the service_code {', '.join(repeated)} more than once")
    for service, code in zip(services, codes, strict=True):
        if not SERVICE_CODE.fullmatch(code):
            raise ImportRefused(f"service_code {code!r}: up to 60 letters, digits, dots, dashes and underscores")
        metadata = str(service.get("metadata", "")).strip().lower() == "true" or service.get("metadata") is True
        definition = definitions.get(code)
        category = categories.by_code(code)
        if category is not None and not replace:
            raise ImportRefused(f"there is already a category {code}; use --replace to take the city's version")
        if category is None:
            category = Category(code=code, active=True)
            db.session.add(category)
            result.made += 1
        else:
            result.remade += 1
        notes = [a["description"] for a in (definition or {}).get("attributes", []) if not a["variable"]]
        category.name = str(service["service_name"]).strip()[:200]
        category.description = "\n\n".join(filter(None, [str(service.get("description") or "").strip(), *notes]))
        category.group = str(service.get("group") or "").strip()[:100]
        category.keywords = [k.strip()[:60] for k in str(service.get("keywords") or "").split(",") if k.strip()][:20]
        category.sla_hours = sla_hours
        if category.fallback_department_id is None and not category.departments:
            category.fallback_department = desk
        if metadata and definition is None:
            result.pending.append(code)
            category.definition_pending = True
            continue  # its questions wait for the definition; those it had here stay until then
        category.definition_pending = False
        _take_questions(category, code, (definition or {}).get("attributes", []), private)
        db.session.flush()
    db.session.flush()
    return result


def _take_questions(category: Category, code: str, attributes: list[dict], private: set[str]) -> None:
    """The category asks the definition's variable attributes, in its order, keeping the rows of codes it had."""
    asked = [a for a in attributes if a["variable"]]
    seen = set()
    for attribute in asked:
        if not SERVICE_CODE.fullmatch(attribute["code"]) or attribute["code"] in seen:
            raise ImportRefused(f"service {code}: attribute code {attribute['code']!r} is empty, repeated or "
                                "not made of letters, digits, dots, dashes and underscores")
        seen.add(attribute["code"])
        if attribute["datatype"].endswith("valuelist") and not attribute["values"]:
            raise ImportRefused(f"service {code}: the list attribute {attribute['code']} has no values")
    existing = {q.code: q for q in category.questions}
    for gone in [q for q in category.questions if q.code not in seen]:
        category.questions.remove(gone)
    db.session.flush()  # the questions the city dropped go before any new one takes a position
    kept = []
    for position, attribute in enumerate(asked):
        question = existing.get(attribute["code"]) or CategoryQuestion(code=attribute["code"])
        question.prompt = attribute["description"] or attribute["code"]
        question.datatype = Datatype(attribute["datatype"])
        question.required = attribute["required"]
        question.position = position
        question.values = attribute["values"] if attribute["datatype"].endswith("valuelist") else []
        question.datatype_description = attribute.get("datatype_description", "")
        question.private = bool(question.private) or attribute["code"] in private
        kept.append(question)
    category.questions[:] = kept


@dataclass
class Imported:
    """What an import did: categories made and remade, and the services whose definitions are still to come."""

    made: int = 0
    remade: int = 0
    pending: list[str] = field(default_factory=list)


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
