"""What the base layout draws the same on every page of a language: drawn once and kept."""

from flask import render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from seeclick.caching import Kept

_links: Kept[Markup] = Kept("the page header's site links and lookup box, by language", limit=64)


def site_links() -> Markup:
    """The brand, the main links and the tracking-number box of the page header.

    They are the same for everyone on every page of a language (their addresses too, under one script
    root), and every page draws them: about half of the header's 0.9 ms. The account links and the
    language links (which name the page) are drawn on each page.
    """
    return _links.get((str(get_locale()), request.script_root),
                      lambda: Markup(render_template("_site_links.html")))
