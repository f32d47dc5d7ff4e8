"""Open311 GeoReport v2 as a client: a report posted to a city's own endpoint, and its changes read back.

The documents are written and read here, so Open311's field names stay in open311/; the parsing
and the form are pure functions, the HTTP (requests, a timeout on every call, answers read up to
a limit) is the Client. A city's answer that is not the standard's is a CityError whose message
says what the city said, for staff to read.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import orjson
import requests
from flask_babel import gettext as _

TIMEOUT = (5, 30)  # seconds to connect, and to wait for an answer
MAX_ANSWER = 20 * 1024 * 1024  # bytes: a larger answer is refused, not read into memory
PAGE = 1000  # requests asked for at once, and read while pages come back full
MAX_PAGES = 100
SMALLEST_WINDOW = timedelta(minutes=1)  # a window of updates is halved while the city says it holds too many


class CityError(Exception):
    """The city's system could not be reached, or refused; `status` is its HTTP status (None: unreachable)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Outgoing:
    """What a report tells the city's system, in our words; request_form() writes it in the standard's."""

    service_code: str
    lat: float
    lon: float
    address: str = ""
    description: str = ""
    answers: dict[str, list[str]] = field(default_factory=dict)
    media_urls: tuple[str, ...] = ()
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Incoming:
    """A change read from the city's system: of its request `external_id`, at `updated_at`."""

    external_id: str
    updated_at: datetime
    status: str  # the standard's open/closed, or one of mySociety's words
    external_status_code: str = ""
    description: str = ""
    update_id: str = ""  # servicerequestupdates' own id; "" when read from GET requests
    media_urls: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What makes this change itself: its update id, or the request and the time it was changed."""
        return self.update_id or f"{self.external_id}@{self.updated_at.isoformat()}"


def request_form(out: Outgoing, jurisdiction_id: str = "", api_key: str = "") -> list[tuple[str, str]]:
    """The POST requests form for a report: lat/long, the address as address_string, answers as attribute[CODE]
    (attribute[CODE][] for several), each media link as media_url; the contact fields only when given."""
    form = [("api_key", api_key), ("service_code", out.service_code), ("lat", f"{out.lat:.6f}"),
            ("long", f"{out.lon:.6f}")]
    if jurisdiction_id:
        form.append(("jurisdiction_id", jurisdiction_id))
    if out.address:
        form.append(("address_string", out.address))
    if out.description:
        form.append(("description", out.description))
    for code, values in out.answers.items():
        if len(values) == 1:
            form.append((f"attribute[{code}]", values[0]))
        else:
            form += [(f"attribute[{code}][]", value) for value in values]
    form += [("media_url", url) for url in out.media_urls]
    first, _, last = out.name.strip().partition(" ")
    for name, value in (("first_name", first), ("last_name", last), ("email", out.email), ("phone", out.phone)):
        if value:
            form.append((name, value))
    return form


def read_items(body: bytes, fmt: str) -> list[dict]:
    """The items of an Open311 list (service_requests, service_request_updates) as dicts of text.

    XML: the root's children, each a dict of its elements' text ("" for an empty one); a field given
    several times (media_url) is a list. JSON: the array's objects, with values made text.
    """
    if fmt == "json":
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise CityError(_("the answer is not JSON (%(error)s)", error=error)) from None
        if isinstance(document, dict):  # a list wrapped in its root's name, as some servers do
            document = next((v for v in document.values() if isinstance(v, list)), [document])
        if not isinstance(document, list):
            raise CityError(_("the answer is not an Open311 list"))
        return [{k: v if isinstance(v, list) else "" if v is None else str(v) for k, v in item.items()}
                for item in document if isinstance(item, dict)]
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise CityError(_("the answer is not well-formed XML (%(error)s)", error=error)) from None
    items = []
    for element in root:
        item: dict = {}
        for child in element:
            text = (child.text or "").strip()
            if child.tag in item:
                item[child.tag] = [*(item[child.tag] if isinstance(item[child.tag], list) else [item[child.tag]]),
                                   text]
            else:
                item[child.tag] = text
        items.append(item)
    return items


def errors_in(body: bytes, fmt: str) -> str:
    """The standard's error descriptions in an answer, or its first words when it has none."""
    try:
        found = [f"{e.get('code', '')}: {e.get('description', '')}".strip(": ") for e in read_items(body, fmt)]
    except CityError:
        found = []
    return "; ".join(filter(None, found)) or body[:300].decode("utf-8", "replace").strip() or _("(an empty answer)")


def w3c_time(text: str) -> datetime | None:
    """A W3C date-time as the city wrote it, in UTC; None when it is not one (or has no time zone)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def _links(value) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(v for v in (str(x).strip() for x in values) if v.startswith(("http://", "https://")))


def incoming_updates(items: Iterable[dict]) -> list[Incoming]:
    """servicerequestupdates' items as changes; items without a request id or a time are left out."""
    changes = []
    for item in items:
        at = w3c_time(str(item.get("updated_datetime") or ""))
        if at is None or not str(item.get("service_request_id") or "").strip():
            continue
        changes.append(Incoming(
            external_id=str(item["service_request_id"]).strip(), updated_at=at,
            status=str(item.get("status") or "").strip().lower(),
            external_status_code=str(item.get("external_status_code") or "").strip(),
            description=str(item.get("description") or "").strip(), update_id=str(item.get("update_id") or "").strip(),
            media_urls=_links(item.get("media_url") or "")))
    return changes


def incoming_requests(items: Iterable[dict]) -> list[Incoming]:
    """GET requests' items as changes: each request as it is now, its latest note as the words."""
    changes = []
    for item in items:
        at = w3c_time(str(item.get("updated_datetime") or "")) or w3c_time(str(item.get("requested_datetime") or ""))
        if at is None or not str(item.get("service_request_id") or "").strip():
            continue
        changes.append(Incoming(
            external_id=str(item["service_request_id"]).strip(), updated_at=at,
            status=str(item.get("status") or "").strip().lower(),
            description=str(item.get("status_notes") or "").strip()))
    return changes


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Client:
    """One city's GeoReport v2 endpoint, over HTTP."""

    def __init__(self, endpoint: str, fmt: str = "xml", jurisdiction_id: str = "", api_key: str = "",
                 session: requests.Session | None = None):
        self.endpoint, self.fmt = endpoint.rstrip("/"), fmt
        self.jurisdiction_id, self.api_key = jurisdiction_id, api_key
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = "seeclick (Open311 client)"

    def _call(self, method: str, path: str, **kwargs) -> bytes:
        url = f"{self.endpoint}/{path}.{self.fmt}"
        try:
            with self.http.request(method, url, timeout=TIMEOUT, stream=True, **kwargs) as answer:
                body = b""
                for chunk in answer.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > MAX_ANSWER:
                        raise CityError(_("%(method)s %(url)s: the answer is larger than %(mb)d MB", method=method,
                                          url=url, mb=MAX_ANSWER // 2**20))
        except requests.RequestException as error:
            raise CityError(_("%(method)s %(url)s: %(error)s", method=method, url=url,
                              error=f"{type(error).__name__}: {error}")) from None
        if answer.status_code >= 300:
            raise CityError(_("%(method)s %(url)s: HTTP %(status)d: %(errors)s", method=method, url=url,
                              status=answer.status_code, errors=errors_in(body, self.fmt)), answer.status_code)
        return body

    def _query(self, **values) -> dict:
        query = {k: v for k, v in values.items() if v}
        if self.jurisdiction_id:
            query["jurisdiction_id"] = self.jurisdiction_id
        return query

    def post_request(self, out: Outgoing, idempotency_key: str) -> str | None:
        """Post the report; the city's service_request_id (None from a city that gives no id, a "blackbox").

        The Idempotency-Key header lets a city that honours it (seeclick does) answer a retry with the
        request it made the first time, so a send whose answer was lost is not made twice.
        """
        body = self._call("POST", "requests", data=request_form(out, self.jurisdiction_id, self.api_key),
                          headers={"Idempotency-Key": idempotency_key})
        items = read_items(body, self.fmt)
        if not items:
            raise CityError(_("POST requests: the answer holds no request: %(errors)s",
                              errors=errors_in(body, self.fmt)))
        made = items[0]
        if str(made.get("service_request_id") or "").strip():
            return str(made["service_request_id"]).strip()
        token = str(made.get("token") or "").strip()
        if token:  # a "batch" city: ask once which request the token became
            found = read_items(self._call("GET", f"tokens/{token}", params=self._query()), self.fmt)
            if found and str(found[0].get("service_request_id") or "").strip():
                return str(found[0]["service_request_id"]).strip()
            raise CityError(_("POST requests: the city answered with the token %(token)r, not yet a request",
                              token=token))
        return None

    def updates(self, start: datetime, end: datetime) -> list[Incoming]:
        """servicerequestupdates from start to end; a window the city says holds too many is read in halves."""
        try:
            body = self._call("GET", "servicerequestupdates",
                              params=self._query(api_key=self.api_key, start_date=_w3c(start), end_date=_w3c(end)))
        except CityError as error:
            if error.status == 400 and end - start > SMALLEST_WINDOW:
                middle = start + (end - start) / 2
                return self.updates(start, middle) + self.updates(middle, end)
            raise
        return incoming_updates(read_items(body, self.fmt))

    def requests_updated(self, after: datetime) -> list[Incoming]:
        """GET requests changed since `after`, page by page while pages come back full."""
        found, previous = [], None
        for page in range(1, MAX_PAGES + 1):
            items = read_items(self._call("GET", "requests", params=self._query(
                updated_after=_w3c(after), page=str(page), page_size=str(PAGE))), self.fmt)
            if items == previous:  # a city that ignores page sends the same page again
                break
            found += items
            if len(items) < PAGE:
                break
            previous = items
        return incoming_requests(found)
