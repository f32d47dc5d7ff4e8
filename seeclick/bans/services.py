"""Making and lifting bans. Flush, never commit."""

from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l

from seeclick.bans import matching, queries
from seeclick.bans.models import Ban, BanKind
from seeclick.extensions import db
from seeclick.words import when as _when

DURATIONS = (1, 7, 30, 90, 365)  # days a ban can last; it always ends, and can be lifted sooner
REASON_LIMIT = 1000


class BanError(ValueError):
    """The ban cannot be made as asked; `errors` holds a message by form field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(str(message) for message in errors.values()))
        self.errors = errors


def ban(actor, reason: str, days: str | int, email: str = "", phone: str = "", report=None,
        browser: bool = False) -> list[Ban]:
    """Refuse reports from an address, a number and/or the browser that sent `report`, for `days` days.

    Everything is checked first and every problem given at once, by field; then one ban a thing.
    """
    now = datetime.now(UTC)
    errors, wanted = {}, []
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _l("Say why, for the colleague who reads this list later.")
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = _l("Keep the reason under %(limit)d characters.", limit=REASON_LIMIT)
    days = int(days) if str(days).isdigit() else None
    if days not in DURATIONS:
        errors["days"] = _l("Choose how long the ban lasts.")
    for field, kind, asked, value, problem in (
        ("email", BanKind.EMAIL, bool((email or "").strip()), matching.email_value(email),
         _l("This does not look like an email address; check it, or leave it empty.")),
        ("phone", BanKind.PHONE, bool((phone or "").strip()), matching.phone_value(phone),
         _l("Give a phone number with at least 7 digits, or leave it empty.")),
        ("browser", BanKind.BROWSER, browser, getattr(report, "reporter_browser", None),
         _l("This report does not say which browser sent it.")),
    ):
        if not asked:
            continue
        if value is None:
            errors[field] = problem
        elif found := queries.in_force_on(kind, value, now):
            errors[field] = _l("This %(what)s is already blocked until %(until)s.", what=kind.label,
                               until=_when(found.expires_at))
        else:
            wanted.append((kind, value))
    if not wanted and not errors.keys() & {"email", "phone", "browser"}:
        errors["email"] = _l("Give an email address or a phone number to block (or, from a ticket, its browser).")
    if errors:
        raise BanError(errors)
    bans = [Ban(kind=kind, value=value, reason=reason, report_id=getattr(report, "id", None), created_at=now,
                created_by_id=actor.id, expires_at=now + timedelta(days=days)) for kind, value in wanted]
    db.session.add_all(bans)
    db.session.flush()
    return bans


def lift(ban: Ban, actor) -> Ban:
    """End a ban now; one that had already ended is left as it was."""
    now = datetime.now(UTC)
    if ban.in_force(now):
        ban.lifted_at, ban.lifted_by_id = now, actor.id
        db.session.flush()
    return ban
