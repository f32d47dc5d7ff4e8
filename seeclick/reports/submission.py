"""A citizen's report, from the form (or any channel) to a routed report. Flush, never commit.

Everything is checked before anything is written, and every problem is reported at once, by
field, so the person can fix them all in one go; then the report, its photos, the reporter's
subscription and the first email are written in the caller's one transaction.
"""

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import format_timedelta
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from seeclick.extensions import db
from seeclick.geo import LatLon, OutsideWorld, to_db
from seeclick.models import Category, Channel, Report, Support
from seeclick.notifications import services as notify
from seeclick.photos import services as photos
from seeclick.photos.processing import PhotoError
from seeclick.reports import answers as answer_rules
from seeclick.reports import queries
from seeclick.routing import route
from seeclick.routing.decide import OutsideServiceArea, RoutingError

DESCRIPTION_LIMIT = 4000
ADDRESS_LIMIT = 500
# One plain address: no commas, quotes, angle brackets or spaces that could name a second recipient.
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PHONE = re.compile(r"^\+?[0-9 ().\-]{7,25}$")


class Invalid(ValueError):
    """The report cannot be made as given; `errors` holds a message by form field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Draft:
    """What a citizen gave us. `where` is None when they placed it by neighbourhood and address."""

    category_id: int | None
    where: LatLon | None = None
    neighbourhood_code: str = ""
    address: str = ""
    description: str = ""
    answers: dict[str, list[str]] = field(default_factory=dict)
    photo_tokens: list[str] = field(default_factory=list)
    name: str = ""
    email: str = ""
    phone: str = ""
    show_name: bool = False
    submission_key: str = ""
    channel: Channel = Channel.WEB


@dataclass(frozen=True)
class Placed:
    where: LatLon
    approximate: bool


def place(draft: Draft) -> Placed:
    """Where the report is: the pin, or a point inside the neighbourhood chosen without the map."""
    if draft.where is not None:
        return Placed(draft.where, approximate=False)
    if draft.neighbourhood_code:
        neighbourhood = queries.neighbourhood_by_code(draft.neighbourhood_code)
        if neighbourhood is None:
            raise Invalid({"neighbourhood": _("Choose a neighbourhood from the list.")})
        if not draft.address.strip():
            raise Invalid({"address": _("Type the address, the cross streets or a landmark, so the crew can "
                                        "find the spot.")})
        return Placed(queries.point_in(neighbourhood), approximate=True)
    raise Invalid({"location": _("Show us where: use your location, tap the map, or choose a neighbourhood "
                                 "and type the address.")})


def submit(draft: Draft) -> tuple[Report, bool]:
    """Make the report; (report, True), or (the report already made from this form, False).

    A retry is checked like a first try, then finds its report when the INSERT meets the key
    already there: the usual case, a first try, pays for no lookup.
    """
    errors: dict[str, str] = {}
    placed = category = decision = None
    try:
        placed = place(draft)
    except Invalid as invalid:
        errors.update(invalid.errors)
    category = db.session.get(Category, draft.category_id) if draft.category_id else None
    if category is None or not category.active:
        errors["category"] = _("Choose what the problem is.")
    elif placed is not None:
        try:
            decision = route(category.id, placed.where)
        except OutsideServiceArea:
            errors["location"] = _("This place is outside %(city)s: move the pin inside the city.",
                                   city=current_app.config["CITY_NAME"])
        except RoutingError:
            errors["category"] = _("“%(category)s” is not handled at this place: choose another category.",
                                   category=category.name)
    answers = {}
    if category is not None:
        answers, answer_errors = answer_rules.check(category.questions, draft.answers)
        errors.update({f"answer-{code}": message for code, message in answer_errors.items()})
    errors.update(_check_text(draft))
    try:
        attached = photos.staged(draft.photo_tokens)
        if len(attached) > current_app.config["MAX_PHOTOS"]:
            errors["photos"] = _("Add at most %(count)d photos.", count=current_app.config["MAX_PHOTOS"])
    except PhotoError as error:
        errors["photos"] = str(error)
        attached = []
    if draft.channel is Channel.WEB and not draft.description.strip() and not attached and not errors.get("photos"):
        errors["description"] = _("Describe the problem, or add a photo of it.")
    if errors:
        # A retry of a report already made fails here when its photos are taken already: find it.
        existing = queries.by_submission_key(draft.submission_key) if draft.submission_key else None
        if existing is not None and _same(existing, draft):
            return existing, False
        raise Invalid(errors)

    now = datetime.now(UTC)
    report = Report(
        category=category, department_id=decision.department_id, location=to_db(placed.where.to_point()),
        location_approximate=placed.approximate, neighbourhood_id=queries.neighbourhood_id_at(placed.where),
        address=draft.address.strip(), description=draft.description.strip(), answers=answers,
        reporter_name=draft.name.strip() or None, reporter_email=draft.email.strip() or None,
        reporter_phone=draft.phone.strip() or None, show_name=draft.show_name and bool(draft.name.strip()),
        channel=draft.channel, submission_key=draft.submission_key or None, created_at=now, updated_at=now,
        due_at=now + category.sla,
    )
    for _attempt in range(2):
        try:
            with db.session.begin_nested():  # a retry, or a double tap racing this one, saved it first
                db.session.add(report)
                db.session.flush()
            break
        except IntegrityError:
            existing = queries.by_submission_key(report.submission_key) if report.submission_key else None
            if existing is None:
                raise
            if _same(existing, draft):
                return existing, False
            report.submission_key = uuid.uuid4().hex  # Back, changed, sent again: a new report
    photos.attach(attached, report)
    reporter = notify.add_reporter(report, report.reporter_email) if report.reporter_email else None
    if reporter is not None:  # the history query only when there is someone to tell
        notify.report_submitted(report, reporter, expectation=expectation(report))
    return report, True


def _same(report: Report, draft: Draft) -> bool:
    """Whether a draft is the one that made this report (a retry), not a changed form sent again."""
    return report.category_id == draft.category_id and report.description == draft.description.strip()


def _check_text(draft: Draft) -> dict[str, str]:
    errors = {}
    for name in ("description", "address", "name", "email", "phone"):
        if "\x00" in getattr(draft, name):
            errors[name] = _("This contains a character that cannot be kept; please type it again.")
    if any("\x00" in value for values in draft.answers.values() for value in values):
        errors["description"] = _("An answer contains a character that cannot be kept; please type it again.")
    if len(draft.submission_key) > 64:
        errors["form"] = _("This form is damaged; reload the page and send again.")
    if len(draft.description) > DESCRIPTION_LIMIT:
        errors["description"] = _("Keep the description under %(limit)s characters (this one has %(count)s).",
                                  limit=f"{DESCRIPTION_LIMIT:,}", count=f"{len(draft.description):,}")
    if len(draft.address) > ADDRESS_LIMIT:
        errors["address"] = _("Keep the address under %(limit)d characters.", limit=ADDRESS_LIMIT)
    if len(draft.name) > 200:
        errors["name"] = _("Keep the name under 200 characters.")
    if draft.email.strip() and (len(draft.email.strip()) > 254 or not EMAIL.match(draft.email.strip())):
        errors["email"] = _("This does not look like an email address; check it, or leave it empty.")
    if draft.phone.strip() and not PHONE.match(draft.phone.strip()):
        errors["phone"] = _("Give a phone number with its digits (and +, spaces or dashes), or leave it empty.")
    if draft.show_name and not draft.name.strip():
        errors["name"] = _("Give the name to show, or untick “show my name”.")
    return errors


def parse_where(lat: str, lon: str) -> LatLon | None:
    """The pin from the form's two fields, or None when there is none; nonsense is an error."""
    if not (lat or "").strip() and not (lon or "").strip():
        return None
    try:
        return LatLon(lat, lon)
    except OutsideWorld:
        raise Invalid({"location": _("That position is not a place on Earth: use the map or your location "
                                     "again.")}) from None


def expectation(report: Report) -> str:
    """What to expect, honestly, from how reports like this here were closed lately."""
    seen = queries.history(report.department_id, report.category_id, datetime.now(UTC) - timedelta(days=365))
    if seen.fixed < queries.HISTORY_MINIMUM:
        return _("There is no history yet for reports like this here, so we cannot say how long it will take. "
                 "The department's target is %(target)s.", target=span(report.category.sla))
    return _("Of the last %(closed)d reports like this here, %(fixed)d were fixed; half of those within "
             "%(median)s. The department's target is %(target)s.", closed=seen.closed, fixed=seen.fixed,
             median=span(seen.median_to_fix), target=span(report.category.sla))


def span(duration: timedelta) -> str:
    """A duration as people say it: "6 days", not Babel's rounded "1 week"."""
    return format_timedelta(duration, threshold=2)


def supporter_key(browser_token: str) -> str:
    """A keyed hash of the browser's token: a person counts once, and the token is not kept."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, browser_token.encode(), hashlib.sha256).hexdigest()


def support(report: Report, browser_token: str) -> bool:
    """Add a “me too”; False when this person had already added theirs."""
    result = db.session.execute(insert(Support).values(report_id=report.id, supporter=supporter_key(browser_token))
                                .on_conflict_do_nothing())
    return result.rowcount == 1
