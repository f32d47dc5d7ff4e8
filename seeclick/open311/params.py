"""Open311 query parameters, checked: an empty parameter is the same as an absent one."""

from datetime import UTC, datetime, timedelta

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


def w3c_datetime(value: str, name: str) -> datetime:
    """A W3C date-time; a time zone is required (fractional seconds and +00:00 are accepted)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+", 1) if "T" in value
                                        else value)
    except ValueError:
        raise BadRequest(f"{name} must be a W3C date-time such as 2026-11-21T14:30:00Z") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name} needs a time zone, such as 2026-11-21T14:30:00Z or 2026-11-21T09:30:00-05:00")
    if not 1 < moment.year < 9999:  # the 90-day defaults are counted from it, and Python's dates end there
        raise BadRequest(f"{name} must be between the years 2 and 9998")
    return moment.astimezone(UTC)  # Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59


def number(value: str, name: str, low: float, high: float) -> float:
    try:
        result = float(value)
    except ValueError:
        raise BadRequest(f"{name} must be a number") from None
    if not low <= result <= high:
        raise BadRequest(f"{name} must be between {low:g} and {high:g}")
    return result


def integer(value: str, name: str, low: int, high: int) -> int:
    # isdigit() alone lets "²" through, and int() refuses more than 4,300 digits.
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise BadRequest(f"{name} must be a whole number (of at most 18 digits)")
    return max(low, min(int(value), high))  # page too: an offset past PostgreSQL's bigint is an error


def request_filter(args, now: datetime | None = None) -> RequestFilter:
    """GET requests' parameters as a filter, with the standard's defaults (the last 90 days, 1000 rows)."""
    now = now or datetime.now(UTC)
    chosen = RequestFilter()
    ids = given(args, "service_request_id")
    if ids:
        chosen.ids = [i.strip() for i in ids.split(",") if i.strip()]
        return chosen
    chosen.service_codes = [c.strip() for c in given(args, "service_code").split(",") if c.strip()]
    statuses = {s.strip().lower() for s in given(args, "status").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise BadRequest("status must be open, closed, or both separated by a comma")
    chosen.statuses = statuses
    start = w3c_datetime(given(args, "start_date"), "start_date") if given(args, "start_date") else None
    end = w3c_datetime(given(args, "end_date"), "end_date") if given(args, "end_date") else None
    if start and end and end < start:
        raise BadRequest("end_date is before start_date")
    if start and end and end - start > MAX_SPAN:
        raise BadRequest("start_date and end_date may be at most 90 days apart")
    chosen.updated_after = w3c_datetime(given(args, "updated_after"), "updated_after") \
        if given(args, "updated_after") else None
    chosen.updated_before = w3c_datetime(given(args, "updated_before"), "updated_before") \
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
            raise BadRequest("bbox must be long1,lat1,long2,lat2")
        lon1, lat1, lon2, lat2 = (number(p, "bbox", -180, 180) for p in parts)
        if not (-90 <= lat1 <= 90 and -90 <= lat2 <= 90):
            raise BadRequest("bbox latitudes must be between -90 and 90")
        chosen.bbox = (min(lon1, lon2), min(lat1, lat2), max(lon1, lon2), max(lat1, lat2))
    if given(args, "lat") or given(args, "long"):
        try:
            where = LatLon(given(args, "lat"), given(args, "long"))
        except OutsideWorld:
            raise BadRequest("lat and long must be given together, as WGS84 degrees") from None
        radius = number(given(args, "radius") or "500", "radius", 1, MAX_RADIUS)
        chosen.near = (where, radius)
    chosen.page = integer(given(args, "page") or "1", "page", 1, 10**9)
    size = given(args, "page_size") or given(args, "per_page")
    chosen.page_size = integer(size, "page_size", 1, MAX_PAGE_SIZE) if size else DEFAULT_PAGE_SIZE
    return chosen
