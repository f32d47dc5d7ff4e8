"""A citizen's report, from the form (or any channel) to a routed report. Flush, never commit.

Everything is checked before anything is written, and every problem is reported at once, by
field, so the person can fix them all in one go; then the report, its photos, the reporter's
subscription and the first email are written in the caller's one transaction.
"""

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import format_timedelta, get_locale
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import insert

from seeclick import dbapi, languages
from seeclick.bans import matching
from seeclick.bans import queries as bans
from seeclick.caching import Kept
from seeclick.categories import versions
from seeclick.categories.models import Category
from seeclick.categories.versions import CachedCategory
from seeclick.contact import contact_details_in, email_address, phone_number
from seeclick.extensions import db
from seeclick.geo import LatLon, OutsideWorld
from seeclick.notifications import services as notify
from seeclick.photos import services as photos
from seeclick.photos.processing import PhotoError
from seeclick.reports import answers as answer_rules
from seeclick.reports import queries
from seeclick.reports.models import Channel, Report, Support
from seeclick.routing import route_candidates
from seeclick.routing.decide import OutsideServiceArea, RoutingError
from seeclick.words import number

DESCRIPTION_LIMIT = 4000
ADDRESS_LIMIT = 500


class Invalid(ValueError):
    """The report cannot be made as given; `errors` holds a message by form field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class Blocked(Invalid):
    """A ban covers who sent it. Said once and politely, never which of what they gave matched."""

    def __init__(self):
        super().__init__({"form": _("Sorry, we cannot accept reports sent from here at the moment. If it is "
                                    "urgent, please call 311.")})


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
    # The citizen saw that the description or address looks like it holds contact details, and keeps them.
    contact_ok: bool = False
    browser_key: str | None = None  # browser_key() of the sending browser's token, when it has one
    # Links to media the client gave (Open311 media_url), checked to be http(s) addresses; never fetched.
    media_urls: list[str] = field(default_factory=list)
    approximate: bool = False  # `where` is a ZIP code area's or a neighbourhood's point, found by name


@dataclass(frozen=True)
class Placed:
    where: LatLon
    approximate: bool


def place(draft: Draft) -> Placed:
    """Where the report is: the pin, or a point inside the neighbourhood chosen without the map."""
    if draft.where is not None:
        return Placed(draft.where, approximate=draft.approximate)
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


# The report in one statement: the INSERT meets a key already there (a retry, a double tap, or
# a changed form sent again) and then writes nothing; it returns the ids and the department's
# name (for the receipt). created_at, updated_at and the due time are the transaction's now().
# Where the department (or the category) sends its reports to the city's own system, the report's
# send row is written too, and its trigger queues the job that sends it (migration 0015).
INSERT_REPORT = """
    WITH made AS (
        INSERT INTO report (category_id, department_id, location, location_approximate, neighbourhood_id, address,
                            description, answers, status, channel, reporter_name, reporter_email, reporter_phone,
                            reporter_browser, show_name, submission_key, created_at, updated_at, due_at, version,
                            hidden_reason, hidden_at, contact_in_text, media_urls, reporter_locale)
        VALUES (%(category_id)s, %(department_id)s, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326),
                %(approximate)s, %(neighbourhood_id)s, %(address)s, %(description)s, %(answers)s::jsonb, 'new',
                %(channel)s, %(name)s, %(email)s, %(phone)s, %(browser)s, %(show_name)s, %(submission_key)s, now(),
                now(), now() + make_interval(hours => %(sla_hours)s), 1,
                CASE WHEN %(review_first)s THEN 'awaiting_review'::moderation_reason END,
                CASE WHEN %(review_first)s THEN now() END, %(contact_in_text)s, %(media_urls)s::text[], %(locale)s)
        ON CONFLICT (submission_key) DO NOTHING
        RETURNING id, public_id
    ), sending AS (
        INSERT INTO report_send (report_id, city_system_id)
        SELECT made.id, target.id FROM made, send_target(%(department_id)s, %(category_id)s) AS target(id)
        WHERE target.id IS NOT NULL
    )
    SELECT made.id, made.public_id, department.name FROM made JOIN department ON department.id = %(department_id)s
"""


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    name: str


@dataclass(frozen=True)
class Made:
    """A report as the submission left it: what the answer, the receipt and the expectation need."""

    id: int
    public_id: str
    category: "CachedCategory | Category"
    department: DepartmentRef
    reporter_email: str | None

    @property
    def category_id(self) -> int:
        return self.category.id

    @property
    def department_id(self) -> int:
        return self.department.id

    @classmethod
    def of(cls, report: Report) -> "Made":
        return cls(report.id, report.public_id, report.category, DepartmentRef(report.department_id,
                                                                                report.department.name),
                   report.reporter_email)


def submit(draft: Draft) -> tuple[Made, bool]:
    """Make the report; (the report, True), or (the report already made from this form, False).

    A retry is checked like a first try, then finds its report when the INSERT meets the key
    already there: the usual case, a first try, pays for no lookup. Routing, the neighbourhood
    and the category's version are read in one statement, the report written in another.
    """
    if bans.blocking(matching.email_value(draft.email), matching.phone_value(draft.phone), draft.browser_key):
        raise Blocked()
    errors: dict[str, str] = {}
    placed = category = found = decision = None
    try:
        placed = place(draft)
    except Invalid as invalid:
        errors.update(invalid.errors)
    if draft.category_id and placed is not None:
        found = queries.new_report_at(draft.category_id, placed.where)
        category = versions.at_version(draft.category_id, found.category_version)
    elif draft.category_id:
        category = versions.current(draft.category_id)  # no place: the answers are still checked
    if category is None or not category.active:
        errors["category"] = _("Choose what the problem is.")
    elif found is not None:
        try:
            decision = route_candidates(found.candidates)
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
    contact = _contact_details(draft)
    if contact and draft.channel is Channel.WEB and not draft.contact_ok:
        where = "description" if contact_details_in(draft.description, _region()) else "address"
        errors.setdefault(where, _("This looks like contact details (%(found)s). Everything written here is public: "
                                   "take them out, or tick “keep it as written”. The department has your email and "
                                   "phone from the fields below, where only staff see them.",
                                   found=", ".join(contact[:3])))
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
            return Made.of(existing), False
        raise Invalid(errors)

    email = draft.email.strip() or None
    values = {
        "category_id": category.id, "department_id": decision.department_id, "lon": placed.where.lon,
        "lat": placed.where.lat, "approximate": placed.approximate, "neighbourhood_id": found.neighbourhood_id,
        "address": draft.address.strip(), "description": draft.description.strip(), "answers": json.dumps(answers),
        "channel": draft.channel.value, "name": draft.name.strip() or None, "email": email,
        "phone": draft.phone.strip() or None, "browser": draft.browser_key,
        "show_name": draft.show_name and bool(draft.name.strip()),
        "submission_key": draft.submission_key or None, "sla_hours": category.sla_hours,
        "review_first": category.review_first, "contact_in_text": bool(contact), "media_urls": draft.media_urls,
        "locale": languages.current(),
    }
    row = dbapi.one(INSERT_REPORT, values)
    if row is None:  # the key is taken: by this very form (a retry, a double tap), or by a changed one
        existing = queries.by_submission_key(values["submission_key"])
        if existing is not None and _same(existing, draft):
            return Made.of(existing), False
        values["submission_key"] = uuid.uuid4().hex  # Back, changed, sent again: a new report
        row = dbapi.one(INSERT_REPORT, values)
    report_id, public_id, department_name = row
    made = Made(report_id, public_id, category, DepartmentRef(decision.department_id, department_name), email)
    photos.attach(attached, made)
    if email:  # the history query only when there is someone to tell
        notify.reporter_receipt(made, email, expectation=expectation(made), locale=values["locale"])
    return made, True


def _region() -> str:
    return current_app.config["PHONE_REGION"]


def _contact_details(draft: Draft) -> list[str]:
    """What looks like an email address or a phone number in the report's public text."""
    return contact_details_in(draft.description, _region()) + contact_details_in(draft.address, _region())


def has_contact_details(*texts: str | None) -> bool:
    """Whether any of these public texts holds what looks like an email address or a phone number."""
    return any(contact_details_in(text, _region()) for text in texts)


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
                                  limit=number(DESCRIPTION_LIMIT), count=number(len(draft.description)))
    if len(draft.address) > ADDRESS_LIMIT:
        errors["address"] = _("Keep the address under %(limit)d characters.", limit=ADDRESS_LIMIT)
    if len(draft.name) > 200:
        errors["name"] = _("Keep the name under 200 characters.")
    if draft.email.strip() and email_address(draft.email) is None:
        errors["email"] = _("This does not look like an email address; check it, or leave it empty.")
    if draft.phone.strip() and phone_number(draft.phone) is None:
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


HISTORY_KEPT_FOR = 300  # seconds: the last 200 closed reports barely move in five minutes
_histories: Kept[queries.History] = Kept("histories by department and category", seconds=HISTORY_KEPT_FOR)
_sentences: Kept[str] = Kept("expectations worded by figures and locale", limit=4096)


def history(department_id: int, category_id: int) -> queries.History:
    """How reports like this, here, were closed in the past year; kept per process for a few minutes.

    It is asked for every Open311 answer and every receipt (and again by the answer page), and the
    query reads up to 200 closed reports, a heap page each; a figure a few minutes old tells the
    citizen the same.
    """
    return _histories.get((department_id, category_id), lambda: queries.history(
        department_id, category_id, datetime.now(UTC) - timedelta(days=365)))


def expectation(report) -> str:
    """What to expect, honestly, from how reports like this here were closed lately.

    `report` is a Report or a Made: its department_id, category_id and category.sla_hours are read.
    """
    seen, sla_hours = history(report.department_id, report.category_id), report.category.sla_hours
    # Worded once for these figures in this locale (the current one), then reused.
    return _sentences.get((seen, sla_hours, str(get_locale())), lambda: _expectation(seen, sla_hours))


def _expectation(seen: queries.History, sla_hours: int) -> str:
    """The sentence for these figures, in the current locale."""
    target = span(timedelta(hours=sla_hours))
    if seen.fixed < queries.HISTORY_MINIMUM:
        return _("There is no history yet for reports like this here, so we cannot say how long it will take. "
                 "The department's target is %(target)s.", target=target)
    return _("Of the last %(closed)d reports like this here, %(fixed)d were fixed; half of those within "
             "%(median)s. The department's target is %(target)s.", closed=seen.closed, fixed=seen.fixed,
             median=span(seen.median_to_fix), target=target)


def span(duration: timedelta) -> str:
    """A duration as people say it: "6 days", not Babel's rounded "1 week"."""
    return format_timedelta(duration, threshold=2)


def supporter_key(browser_token: str) -> str:
    """A keyed hash of the browser's token: a person counts once, and the token is not kept."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, browser_token.encode(), hashlib.sha256).hexdigest()


def browser_key(browser_token: str) -> str:
    """A keyed hash of the token of the browser a report came from, so that a ban can name it; never the token.

    Keyed apart from supporter_key(): a browser's reports and its "me too"s are not linked by it.
    """
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"reporter\x00" + browser_token.encode(), hashlib.sha256).hexdigest()


def support(report: Report, browser_token: str) -> bool:
    """Add a “me too”; False when this person had already added theirs."""
    result = db.session.execute(insert(Support).values(report_id=report.id, supporter=supporter_key(browser_token))
                                .on_conflict_do_nothing())
    return result.rowcount == 1
