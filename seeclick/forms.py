"""Form helpers shared by every domain's forms."""

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]


# What stands for the visitor's form token in HTML drawn once for everyone (a report's forms, a
# neighbourhood's page): token_input() writes it, with_token() puts this request's token in its place.
TOKEN_STAND_IN = "__form_token__"


def token_input(token: str = TOKEN_STAND_IN) -> Markup:
    """The hidden form-token field, as Flask-WTF's csrf_token field writes it."""
    return Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="%s">') % token


def with_token(html: str) -> Markup:
    """Kept HTML with this request's form token where token_input() left the stand-in."""
    return Markup(html.replace(TOKEN_STAND_IN, str(escape(generate_csrf()))))
