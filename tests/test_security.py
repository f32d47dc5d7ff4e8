"""Security headers, the Content-Security-Policy and its nonces, cookies, and pages never stored."""

import re

import pytest

from seeclick import create_app
from tests.conftest import csrf_token

PASSWORD = "correct horse battery staple"


def directives(response):
    return dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))


@pytest.mark.parametrize("path", ["/", "/map", "/reports/new", "/stats", "/login", "/open311/v2/services.json",
                                  "/no/such/page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = directives(response)
    assert policy["frame-ancestors"] == "'none'" and response.headers["X-Frame-Options"] == "DENY"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    assert "unsafe-inline" not in policy["style-src"]
    assert policy["img-src"] == "'self' data: blob: https://tile.openstreetmap.org"  # the tile server, nothing else
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "geolocation=(self)" in response.headers["Permissions-Policy"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


def test_each_request_has_its_own_nonce_on_every_inline_script_and_style(client):
    first, second = client.get("/map"), client.get("/map")
    nonces = [re.search(r"'nonce-([^']+)'", directives(r)["script-src"])[1] for r in (first, second)]
    assert nonces[0] != nonces[1]
    page = first.get_data(as_text=True)
    inline = re.findall(r"<(?:script|style)(?![^>]*\bsrc=)[^>]*>", page)
    assert inline and all(f'nonce="{nonces[0]}"' in tag for tag in inline), inline
    assert "style=" not in page  # attributes cannot carry a nonce: colours are classes


def test_kept_pages_get_the_nonce_of_the_request_that_shows_them(client):
    for _ in range(2):  # the second is served from what the first drew
        response = client.get("/stats")
        nonce = re.search(r"'nonce-([^']+)'", directives(response)["style-src"])[1]
        tags = re.findall(r"<(?:script|style)(?![^>]*\bsrc=)[^>]*>", response.get_data(as_text=True))
        assert tags and all(f'nonce="{nonce}"' in tag for tag in tags)


def test_hsts_is_sent_when_cookies_are_secure():
    app = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": True})
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_every_cookie_is_same_site_and_http_only(client, login_as, make_report):
    report = make_report()
    cookies = client.get(f"/reports/{report.public_id}").headers.getlist("Set-Cookie")
    from seeclick.accounts import services
    from seeclick.models import Role

    services.create_user("remember@city.example", PASSWORD, Role.ADMIN, None)
    signed_in = client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                            "email": "remember@city.example", "password": PASSWORD, "remember": "y"})
    cookies += signed_in.headers.getlist("Set-Cookie")
    cookies = [c for c in cookies if "Max-Age=0" not in c]  # a cookie being removed carries nothing
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"session", "remember_token", "seeclick_device", "seeclick_browser"} <= names
    for cookie in cookies:
        assert "SameSite=" in cookie and "HttpOnly" in cookie, cookie


@pytest.mark.parametrize("path", ["/staff/queue", "/staff/queue/map", "/admin/departments", "/admin/users"])
def test_staff_and_admin_pages_are_never_stored(client, login_as, path):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    login_as("admin")
    response = client.get(path)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_public_pages_seen_signed_in_are_never_stored_but_photos_keep_their_cache(client, login_as):
    assert "no-store" not in client.get("/map").headers.get("Cache-Control", "")
    login_as("staff", "dot-bk")
    assert client.get("/map").headers["Cache-Control"] == "no-store"  # the header names who is signed in


@pytest.mark.parametrize("path", ["/export/reports.csv?category=%00", "/map?category=pot%00hole",
                                  "/map/tiles/12/1206/1539.pbf?department=%00", "/reports/new?lat=%00",
                                  "/export/reports.geojson?neighbourhood=BK%000802", "/reports/SC%00-1"])
def test_a_nul_anywhere_is_a_clear_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "cannot be used (%00, a NUL)" in response.get_data(as_text=True)
