"""Security headers on every response, and input no page can use refused before any view sees it.

The Content-Security-Policy allows scripts and styles from this site and, inline, only those carrying
the request's nonce (our templates and the Folium maps' parts, see maps.parts()): an injected
<script> or inline event handler never runs. Pages may not be framed; images may come from the tile
server (and the photo bucket, with signed URLs on); nothing else leaves for another origin. The one
worker is the report form's service worker, served by this site. Staff and admin pages (contact
details, internal notes) and every page for a signed-in person are never stored by a browser or a proxy.
"""

import re
import secrets
from urllib.parse import urlsplit

from flask import abort, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

PRIVATE_PREFIXES = ("/staff", "/admin", "/login")
NUL_REFUSED = _l("The address contains a character that cannot be used (%00, a NUL). Check the link, and try "
                 "again.")
PERMISSIONS = "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), serial=(), bluetooth=()"


def init_app(app):
    app.before_request(refuse_nul)
    app.after_request(headers)
    app.jinja_env.globals["csp_nonce"] = nonce


def nonce() -> str:
    """This request's nonce for inline scripts and styles, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


_OPENING = re.compile(r"<(script|style)(?=[\s>])")


def with_nonce(html: str) -> Markup:
    """Our own generated HTML (Folium's header) with the nonce on each inline script and style."""
    return Markup(_OPENING.sub(lambda m: f'<{m[1]} nonce="{nonce()}"', html))


def tile_origin(url: str) -> str:
    """The origin images come from for a tile URL template ("https://{s}.tile.example/{z}/..." -> *.tile.example)."""
    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def photo_origin() -> str:
    """The photo bucket's origin when public photos are answered by signed URLs to it (seeclick/photos/storage.py)."""
    if not current_app.config["PHOTO_SIGNED_URLS"]:
        return ""
    from seeclick.photos import storage

    return storage.signed_origin()


def policy() -> str:
    n = nonce()
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{n}'",
        f"style-src 'self' 'nonce-{n}'",
        f"img-src 'self' data: blob: {tile_origin(current_app.config['TILE_URL'])} {photo_origin()}".rstrip(),
        "connect-src 'self'",
        "worker-src 'self'",  # the report form's service worker (/reports/offline.js), a file of this site
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", policy())
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")  # the tile server sees our origin only
    h.setdefault("Permissions-Policy", PERMISSIONS)
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith(PRIVATE_PREFIXES) or "_user_id" in session:
        h["Cache-Control"] = "no-store"
    if "retry_after" in g:  # an outage's answer (seeclick.outages): the limiter's headers say when a limit resets
        h["Retry-After"] = str(g.retry_after)
    return response


def refuse_nul():
    """PostgreSQL text cannot hold a NUL: a path or query string with one is a 400 with a message.

    Forms are left to their views, which show such a field again with its error beside it and
    everything else typed kept (Open311 refuses its own, in its own format).
    """
    values = [request.path, *(text for pair in request.args.items(multi=True) for text in pair)]
    if any("\x00" in value for value in values):
        abort(400, str(NUL_REFUSED))
