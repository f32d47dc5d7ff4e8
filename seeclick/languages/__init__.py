"""Which language a page and a mail are written in.

A page is in the language its address names (`?lang=`, as a feed's does), else the one the reader
chose with the switcher (kept in a cookie, and for a signed-in person in their account), else the
first of their browser's languages (Accept-Language) we have, else the city's default. Mail is in
the language its recipient used when they asked for it, kept beside their address (a report's
reporter, a follower, a watch, an account).

Codes are Babel's: `zh_Hans` is Chinese in simplified characters, which browsers ask for as `zh`,
`zh-CN`, `zh-SG` or `zh-Hans`; `zh-TW`, `zh-HK` and `zh-Hant` ask for traditional characters, which
we do not have.
"""

import flask_babel
from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_login import current_user

COOKIE = "lang"
COOKIE_DAYS = 365
TRADITIONAL = {"TW", "HK", "MO"}


def available() -> list[str]:
    return current_app.config["LANGUAGES"]


def known(code: str | None) -> str | None:
    """The code itself when it is one of ours, else None."""
    return code if code in available() else None


def match(tag: str) -> str | None:
    """One of our languages for a browser's language tag (`es-US`, `zh-CN`, `zh-Hant-TW`), or None."""
    parts = tag.strip().replace("_", "-").split("-")
    language = parts[0].lower()
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    territory = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    for code in available():
        ours = Locale.parse(code)
        if ours.language != language:
            continue
        if ours.script and script and ours.script != script:
            continue
        if ours.script == "Hans" and not script and territory in TRADITIONAL:
            continue
        return code
    return None


def from_browser() -> str | None:
    """The first language of the browser's Accept-Language (by its weights) that we have."""
    for tag, quality in request.accept_languages:
        if quality > 0 and (code := match(tag)):
            return code
    return None


def chosen() -> str | None:
    """The language the address names (`?lang=es`: a feed a reader subscribed to has no cookie), or the one
    the reader chose on this browser, or in their account."""
    if code := known(request.args.get("lang")):
        return code
    if code := known(request.cookies.get(COOKIE)):
        return code
    if current_user and current_user.is_authenticated:
        return known(current_user.locale)
    return None


def locale_of(code: str) -> str:
    """The Babel locale a language is written in here: its words from its catalogue, its numbers and dates
    as the city's region writes them (es_US: 1,000.5 and 9:05 p.m., not Spain's 1.000,5 and 21:05)."""
    return current_app.config["LANGUAGE_LOCALES"].get(code, code)


def select() -> str | None:
    """Babel's locale selector: None outside a request (workers, commands), which means the default."""
    if not has_request_context():
        return None
    code = chosen() or from_browser()
    return locale_of(code) if code else None


def current() -> str:
    """The code of the language being written in now (a page's, or the mail being written)."""
    from flask_babel import get_locale

    locale = get_locale()
    if locale is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return next((code for code in available() if locale_of(code) == str(locale)), str(locale))


def html_tag(code: str) -> str:
    """The BCP 47 tag for a `lang` attribute: zh_Hans -> zh-Hans."""
    return code.replace("_", "-")


def translations():
    """The catalogue of the language being written in now, found once for each locale a request writes in.

    Flask-Babel finds it again for every string a template translates (20-30 a page): the request's
    domain, its locale, the locale's name, the cache. A mail written in another language
    (`force_locale`) has a locale of its own, so its catalogue is found for it, and the page's again after.
    """
    if not g:  # no application context: what Flask-Babel gives there
        return flask_babel.get_translations()
    locale = flask_babel.get_locale()
    found = g.get("_seeclick_catalogue")
    if found is None or found[0] is not locale:
        found = g._seeclick_catalogue = (locale, flask_babel.get_translations())
    return found[1]


def install_jinja(app) -> None:
    """Templates translate through translations(), as Flask-Babel's own callables would (newstyle gettext)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
