"""The link that shows a person what is held under their email address: signed, and good for a while."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "seeclick own data"  # a signature made for anything else is not one of these


class LinkExpired(ValueError):
    """The link was ours, but is older than OWN_DATA_LINK_DAYS."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(address: str) -> str:
    """The token of a link to what is held under this address (any case: matching ignores it)."""
    return _serializer().dumps(address.strip().lower())


def address_of(token: str) -> str | None:
    """The address a token was made for; None when it is not one of ours; LinkExpired when too old."""
    try:
        return _serializer().loads(token, max_age=current_app.config["OWN_DATA_LINK_DAYS"] * 86400)
    except SignatureExpired:
        raise LinkExpired() from None
    except BadSignature:
        return None
