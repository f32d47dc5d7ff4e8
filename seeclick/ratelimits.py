"""Abuse limits that hold across processes and hosts: what each throttle counts, and the tokens they trust.

Every count lives in the limiter's shared store (Redis; RATELIMIT_STORAGE_URI), so three gunicorn
workers on two hosts allow what the setting says, not six times it.

- Sign-in: failures per address (generous: an office is many people behind one address), per account
  from browsers that never signed in to it, and per browser that did. A browser that signed in to an
  account before carries a device cookie for it (OWASP's "device cookies"): an attack on the account
  from elsewhere, or a busy address, never locks that person out.
- "Me too": only from a browser holding a token this site issued (on the report's page), and at most a
  few per report from one address a day, besides the per-address hourly limit.
- Confirmation links: an address is mailed one a day at most, whoever asks for it and from wherever.
"""

import hashlib
import hmac
import logging
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many

from seeclick.extensions import limiter

log = logging.getLogger(__name__)

DEVICE_COOKIE = "seeclick_device"
DEVICE_DAYS = 365
BROWSER_COOKIE = "seeclick_browser"
BROWSER_DAYS = 365


def _digest(purpose: str, value: str) -> str:
    """A keyed hash, so the store holds no email address and no token in the clear."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _signer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _set_cookie(response, name: str, value: str, days: int, samesite: str) -> None:
    response.set_cookie(name, value, max_age=days * 86400, httponly=True, samesite=samesite,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


# --- signing in -------------------------------------------------------------------------------

def typed_account() -> str:
    return _digest("account", (request.form.get("email") or "").strip().lower())


def device_nonce() -> str | None:
    """The nonce of this browser's device cookie when it is ours and for the account typed, else None."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return None
    try:
        account, nonce = _signer("device").loads(cookie, max_age=DEVICE_DAYS * 86400)
    except (BadSignature, ValueError, TypeError):
        return None
    return nonce if account == typed_account() else None


def trusted_device() -> bool:
    return device_nonce() is not None


def untrusted_device() -> bool:
    return device_nonce() is None


def login_account_key() -> str:
    return "account:" + typed_account()


def login_device_key() -> str:
    return "device:" + (device_nonce() or "")


def remember_device(response, email: str) -> None:
    """After a good password: this browser may sign in to this account whatever others try."""
    value = _signer("device").dumps([_digest("account", email.strip().lower()), secrets.token_urlsafe(16)])
    _set_cookie(response, DEVICE_COOKIE, value, DEVICE_DAYS, "Strict")


def failed_sign_in(response) -> bool:
    return response.status_code == 401


# --- "me too" -----------------------------------------------------------------------------------

def browser_id() -> str | None:
    """The id in this browser's token if this site issued it, else None."""
    cookie = request.cookies.get(BROWSER_COOKIE)
    return browser_id_in(cookie) if cookie else None


def browser_id_in(cookie: str) -> str | None:
    """The id inside a browser cookie's value if this site signed it, else None."""
    try:
        return _signer("browser").loads(cookie, max_age=BROWSER_DAYS * 86400)
    except (BadSignature, TypeError):
        return None


def set_browser_id(response, browser: str) -> None:
    _set_cookie(response, BROWSER_COOKIE, _signer("browser").dumps(browser), BROWSER_DAYS, "Lax")


def issue_browser_id(response) -> None:
    """Give this browser a token of ours unless it has one (the report's page, before any "me too")."""
    if browser_id() is None:
        set_browser_id(response, secrets.token_urlsafe(18))


def address_and_report_key() -> str:
    return f"{request.remote_addr}:{(request.view_args or {}).get('public_id', '')}"


# --- mail to an address someone typed ---------------------------------------------------------

def may_mail(recipient: str) -> bool:
    """Whether an address someone typed may be sent a confirmation link now; counts it if so.

    The same answer goes back either way, so the form never tells who asked before. If the store is
    unreachable the link goes out: the per-address limits still hold in each process meanwhile.
    """
    key = _digest("recipient", recipient.strip().lower())
    try:
        return all(limiter.limiter.hit(item, "confirm-mail", key)
                   for item in parse_many(current_app.config["CONFIRM_MAIL_LIMIT"]))
    except Exception:  # a store outage must not stop a citizen's request
        log.exception("rate-limit store unreachable: confirmation mail sent without its per-address limit")
        return True
