"""Open311 query parameters, checked: an empty parameter is the same as an absent one."""

import re
from datetime import UTC, datetime, timedelta, tzinfo
from urllib.parse import urlsplit

from flask_babel import gettext as _

from seeclick.geo import LatLon, OutsideWorld
from seeclick.open311.queries import RequestFilter

MAX_SPAN = timedelta(days=90)
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
MAX_RADIUS = 10_000


class BadRequest(ValueError):
    """An Open311 request that cannot be answered; `status` is the HTTP status (400, 403 or 404)."""

    def __init__(self, description: str, status: int = 400):
        super().__init__(description)
        self.status = status


def given(args, name: str) -> str:
    return (args.get(name) or "").strip()


# W3C-DTF's dates without a time: a year, a month, a day.
W3C_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def w3c_date(value: str, name: str, zone: tzinfo, end: bool) -> datetime | None:
    """A W3C date (2026, 2026-12, 2026-12-01) as the first moment of that period in the city's time zone,
    or with `end` its last; None when `value` is not a date alone."""
    found = W3C_DATE.fullmatch(value)
    if not found:
        return None
    year, month, day = int(found[1]), int(found[2] or 1), int(found[3] or 1)
    try:
        first = datetime(year, month, day)
        if found[3]:
            after = first + timedelta(days=1)
        elif found[2]:
            after = datetime(year + month // 12, month % 12 + 1, 1)
        else:
            after = datetime(year + 1, 1, 1)
    except (ValueError, OverflowError):
        raise BadRequest(_("%(name)s is not a date: give it as 2026-12-01, 2026-12 or 2026", name=name)) from None
    if not 1 < year < 9998:
        raise BadRequest(_("%(name)s must be between the years 2 and 9998", name=name))
    moment = (after - timedelta(microseconds=1)) if end else first
    return moment.replace(tzinfo=zone).astimezone(UTC)


def w3c_datetime(value: str, name: str, zone: tzinfo = UTC, end: bool = False) -> datetime:
    """A W3C date-time; a time zone is required (fractional seconds and +00:00 are accepted).

    A date alone is a whole day (month, year) in the city's time zone: its start, or its end with `end`.
    """
    day = w3c_date(value, name, zone, end)
    if day is not None:
        return day
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+", 1) if "T" in value
                                        else value)
    except ValueError:
        raise BadRequest(_("%(name)s must be a W3C date-time such as 2026-11-21T14:30:00Z", name=name)) from None
    if moment.tzinfo is None:
        raise BadRequest(_("%(name)s needs a time zone, such as 2026-11-21T14:30:00Z or 2026-11-21T09:30:00-05:00",
                           name=name))
    if not 1 < moment.year < 9999:  # the 90-day defaults are counted from it, and Python's dates end there
        raise BadRequest(_("%(name)s must be between the years 2 and 9998", name=name))
    return moment.astimezone(UTC)  # Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59


def number(value: str, name: str, low: float, high: float) -> float:
    try:
        result = float(value)
    except ValueError:
        raise BadRequest(_("%(name)s must be a number", name=name)) from None
    if not low <= result <= high:
        raise BadRequest(_("%(name)s must be between %(low)s and %(high)s", name=name, low=f"{low:g}",
                           high=f"{high:g}"))
    return result


def integer(value: str, name: str, low: int, high: int) -> int:
    # isdigit() alone lets "²" through, and int() refuses more than 4,300 digits.
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise BadRequest(_("%(name)s must be a whole number (of at most 18 digits)", name=name))
    return max(low, min(int(value), high))  # page too: an offset past PostgreSQL's bigint is an error


def page_size(args, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    """page_size (or per_page): more than the maximum is refused, never cut short without a word.

    A client that pages "while the page is full" would otherwise stop early and lose the rest.
    """
    size = given(args, "page_size") or given(args, "per_page")
    if not size:
        return default
    if not (size.isascii() and size.isdigit()) or len(size) > 18 or not 1 <= int(size) <= maximum:
        raise BadRequest(_("page_size must be a whole number from 1 to %(maximum)d, the most this endpoint "
                           "gives in one page; ask for the next with page=2, 3, ...", maximum=maximum))
    return int(size)


MEDIA_URL_LIMIT = 2000


def media_urls(values) -> list[str]:
    """The media_url values given (FixMyStreet repeats the field), each an absolute http or https address."""
    found = []
    for value in values.getlist("media_url") + values.getlist("media_url[]"):
        value = (value or "").strip()
        if not value:
            continue
        parts = urlsplit(value) if len(value) <= MEDIA_URL_LIMIT and value.isprintable() else None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in value:
            raise BadRequest(_("media_url must be an http or https address of at most %(limit)d characters, "
                               "such as https://example.org/photo.jpg", limit=MEDIA_URL_LIMIT))
        found.append(value)
    return found[:10]


def request_filter(args, now: datetime | None = None, zone: tzinfo = UTC) -> RequestFilter:
    """GET requests' parameters as a filter, with the standard's defaults (the last 90 days, 1000 rows).

    Dates without a time are days (months, years) of the city's time zone, `zone`.
    """
    now = now or datetime.now(UTC)
    chosen = RequestFilter()
    ids = given(args, "service_request_id")
    if ids:
        chosen.ids = [i.strip() for i in ids.split(",") if i.strip()]
        return chosen
    chosen.service_codes = [c.strip() for c in given(args, "service_code").split(",") if c.strip()]
    statuses = {s.strip().lower() for s in given(args, "status").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise BadRequest(_("status must be open, closed, or both separated by a comma"))
    chosen.statuses = statuses
    start = w3c_datetime(given(args, "start_date"), "start_date", zone) if given(args, "start_date") else None
    end = w3c_datetime(given(args, "end_date"), "end_date", zone, end=True) if given(args, "end_date") else None
    if start and end and end < start:
        raise BadRequest(_("end_date is before start_date"))
    if start and end and end - start > MAX_SPAN:
        raise BadRequest(_("start_date and end_date may be at most 90 days apart"))
    chosen.updated_after = w3c_datetime(given(args, "updated_after"), "updated_after", zone) \
        if given(args, "updated_after") else None
    chosen.updated_before = w3c_datetime(given(args, "updated_before"), "updated_before", zone, end=True) \
        if given(args, "updated_before") else None
    if not (start or end or chosen.updated_after or chosen.updated_before):
        start = now - MAX_SPAN  # the standard's default: the last 90 days
    elif start and not end and not chosen.updated_before:
        end = start + MAX_SPAN
    elif end and not start and not chosen.updated_after:
        start = end - MAX_SPAN
    chosen.start, chosen.end = start, end
    if given(args, "bbox"):
        parts = given(args, "bbox").split(",")
        if len(parts) != 4:
            raise BadRequest(_("bbox must be long1,lat1,long2,lat2"))
        lon1, lat1, lon2, lat2 = (number(p, "bbox", -180, 180) for p in parts)
        if not (-90 <= lat1 <= 90 and -90 <= lat2 <= 90):
            raise BadRequest(_("bbox latitudes must be between -90 and 90"))
        chosen.bbox = (min(lon1, lon2), min(lat1, lat2), max(lon1, lon2), max(lat1, lat2))
    if given(args, "lat") or given(args, "long"):
        try:
            where = LatLon(given(args, "lat"), given(args, "long"))
        except OutsideWorld:
            raise BadRequest(_("lat and long must be given together, as WGS84 degrees")) from None
        radius = number(given(args, "radius") or "500", "radius", 1, MAX_RADIUS)
        chosen.near = (where, radius)
    chosen.page = integer(given(args, "page") or "1", "page", 1, 10**9)
    chosen.page_size = page_size(args)
    return chosen
