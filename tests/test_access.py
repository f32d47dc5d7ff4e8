"""Who may open every URL the application has, read from app.url_map: a new URL without a rule here fails."""

import pytest
from flask import url_for
from werkzeug.routing import Rule

from seeclick.accounts.models import STAFF_ROLES, Role
from seeclick.bans import services as bans
from seeclick.notifications.models import Follower
from seeclick.open311 import services as open311
from seeclick.photos import services as photos
from seeclick.privacy import links
from seeclick.questionnaires.models import ReopenRequest, Source
from seeclick.reports.models import Update, UpdateKind
from tests.conftest import csrf_token
from tests.test_photos import phone_jpeg

PUBLIC = "public"  # anyone, signed in or not
API_KEY = "api key"  # Open311 clients: refused without a key, whoever is signed in
STAFF = frozenset(STAFF_ROLES)
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})
# Staff pages for moderators: managers and administrators, and staff of a department that lets its staff
# moderate (none does in these tests), checked by the view after staff_required.
MODERATORS = "moderators"

# Every endpoint and who may use it. Add a line with each new URL: the test below fails without one.
ACCESS = {
    "static": PUBLIC,
    "accounts.login": PUBLIC, "accounts.logout": PUBLIC,
    "health.healthz": PUBLIC, "home.index": PUBLIC, "home.accessibility": PUBLIC, "stats.index": PUBLIC,
    "neighbourhoods.show": PUBLIC, "languages.choose": PUBLIC,
    "reports.new": PUBLIC, "reports.place": PUBLIC, "reports.sent": PUBLIC, "reports.show": PUBLIC,
    "reports.offline_worker": PUBLIC, "reports.token": PUBLIC,
    "reports.support": PUBLIC, "photos.upload": PUBLIC, "photos.show": PUBLIC, "addresses.suggest": PUBLIC,
    "reports.find": PUBLIC,
    "notifications.follow": PUBLIC, "notifications.watch_neighbourhood": PUBLIC,
    "notifications.watch_around_report": PUBLIC, "notifications.subscription": PUBLIC,
    "publicmap.index": PUBLIC, "publicmap.tile": PUBLIC,
    "opendata.export_csv": PUBLIC, "opendata.export_geojson": PUBLIC, "opendata.feed": PUBLIC,
    "open311.discovery": PUBLIC, "open311.openapi": PUBLIC, "open311.services": PUBLIC,
    "open311.service_definition": PUBLIC, "open311.requests": PUBLIC, "open311.request_one": PUBLIC,
    "open311.token": PUBLIC, "open311.post_request": API_KEY, "open311.request_updates": PUBLIC,
    "open311.post_request_update": API_KEY,
    "staff.index": STAFF, "staff.queue": STAFF, "staff.queue_map": STAFF, "staff.bulk_acknowledge": STAFF,
    "staff.ticket": STAFF, "staff.act": STAFF, "staff.add_note": STAFF, "staff.send_again": STAFF,
    "intake.new": STAFF, "intake.done": STAFF,
    "bans.index": MANAGERS, "bans.new": MANAGERS, "bans.lift": MANAGERS,
    "privacy.ask": PUBLIC, "privacy.own_data": PUBLIC, "privacy.download": PUBLIC, "privacy.erase": PUBLIC,
    "admin.index": ADMIN, "admin.departments": ADMIN, "admin.new_department": ADMIN, "admin.department": ADMIN,
    "admin.upload_areas": ADMIN, "admin.delete_area": ADMIN, "admin.users": ADMIN, "admin.new_user": ADMIN,
    "admin.user": ADMIN, "admin.categories": ADMIN, "admin.new_category": ADMIN, "admin.category": ADMIN,
    "admin.add_question": ADMIN, "admin.remove_question": ADMIN, "admin.api_keys": ADMIN,
    "admin.revoke_api_key": ADMIN, "admin.question_privacy": ADMIN,
    "moderation.flag": PUBLIC, "moderation.takedown": PUBLIC,
    "moderation.queue": MODERATORS, "moderation.bulk": MODERATORS, "moderation.on_report": MODERATORS,
    "moderation.on_photo": MODERATORS, "moderation.on_note": MODERATORS,
    "questionnaires.answer": PUBLIC, "questionnaires.thanks": PUBLIC, "questionnaires.reopen": PUBLIC,
    "questionnaires.decide": STAFF, "stats.methodology": PUBLIC, "stats.figures_csv": PUBLIC,
}

# Values for the parts of a URL whose name does not say which kind of thing it is.
CODES = {"neighbourhoods.show": "BK0802", "notifications.watch_neighbourhood": "BK0802", "opendata.feed": "dot-bk",
         "admin.department": "dot-bk", "admin.upload_areas": "dot-bk", "admin.category": "pothole",
         "admin.add_question": "pothole", "admin.remove_question": "pothole", "admin.question_privacy": "pothole",
         "languages.choose": "en"}


def test_every_url_has_an_access_rule_and_its_view_enforces_it(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ACCESS.keys() == set(), "a URL without an access rule: add it to ACCESS"
    assert ACCESS.keys() - endpoints == set(), "ACCESS names a URL that no longer exists"
    for endpoint in endpoints:
        guarded = getattr(app.view_functions[endpoint], "required_roles", None)
        rule_says = STAFF if ACCESS[endpoint] is MODERATORS else ACCESS[endpoint]
        expected = rule_says if isinstance(rule_says, frozenset) else None
        assert guarded == expected, f"{endpoint} is guarded for {guarded}, its rule says {expected}"


@pytest.fixture
def things(session, make_report, make_user, departments, categories):
    """One of everything a URL can name."""
    report = make_report(reporter_email="someone@example.org")
    [ban] = bans.ban(make_user("manager", "dot-bk", email="banning.manager@city.example"), "Abuse", 7,
                     email="blocked@example.org")
    follower = Follower(report=report, email="someone@example.org")
    session.add(follower)
    photo, _ = photos.stage(phone_jpeg(), "street.jpg")
    photos.attach([photo], report)
    api_key, _ = open311.create_key("a city app")
    note = Update(report=report, kind=UpdateKind.COMMENT, public=True, body="We will look at it")
    request = ReopenRequest(report=report, source=Source.REPORTER, note="Still there")
    session.add_all([note, request])
    session.flush()
    pothole = categories["pothole"]
    return {
        "public_id": report.public_id, "service_request_id": report.public_id, "service_code": "pothole",
        "fmt": "json", "kind_follow": "follow", "token_follow": follower.token, "token_photo": photo.token,
        "area_id": departments["dot-bk"].service_areas[0].id, "question_id": pothole.questions[0].id,
        "key_id": api_key.id, "z": 0, "x": 0, "y": 0, "filename": "css/site.css", "size": "thumb",
        "photo_id": photo.id, "update_id": note.id, "privacy": "private", "ban_id": ban.id,
        "token_own_data": links.token_for("someone@example.org"), "request_id": request.id,
    }


def url_of(rule: Rule, things: dict) -> str:
    values = {}
    for name in rule.arguments:
        if name == "code":
            values[name] = CODES[rule.endpoint]
        elif name == "kind":
            values[name] = "departments" if rule.endpoint == "opendata.feed" else "follow"
        elif name == "token":
            values[name] = (things["token_photo"] if rule.endpoint == "photos.show" else things["token_own_data"]
                            if rule.endpoint.startswith("privacy.") else things["token_follow"])
        elif name == "action":
            values[name] = "acknowledge" if rule.endpoint == "staff.act" else "confirm"
        elif name == "answer":
            values[name] = "yes"
        elif name == "decision":
            values[name] = "decline"
        elif name == "act":
            values[name] = "dismiss-flags" if rule.endpoint == "moderation.on_report" else "hide"
        elif name == "user_id":
            values[name] = things["user_id"]
        else:
            values[name] = things[name]
    with_defaults = {k: v for k, v in values.items() if k not in (rule.defaults or {})}
    return url_for(rule.endpoint, **with_defaults)


def refused(response) -> bool:
    """Sent to sign in, or refused outright."""
    sent_to_login = response.status_code == 302 and response.headers["Location"].startswith("/login")
    return sent_to_login or response.status_code == 403


@pytest.mark.parametrize("role, department", [
    (None, None), ("citizen", None), ("staff", "dot-bk"), ("manager", "dot-bk"), ("admin", None),
], ids=["signed out", "citizen", "staff", "manager", "admin"])
def test_every_url_answers_each_role_as_its_rule_says(app, client, login_as, make_user, things, role, department):
    user = login_as(role, department) if role else None
    things["user_id"] = (user or make_user("staff", "dot-qn")).id
    token = csrf_token(client, "/" if role else "/login")
    checked = 0
    with app.test_request_context():
        # Signing out comes last: it ends the session every other request runs in.
        rules = [(rule, url_of(rule, things)) for rule in sorted(
            app.url_map.iter_rules(), key=lambda rule: rule.endpoint == "accounts.logout")]
    for rule, url in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.get(url) if method == "GET" else client.post(
                url, data={"csrf_token": token, "note": "Checked", "version": "1"})
            rule_says = ACCESS[rule.endpoint]
            where = f"{method} {url} as {role or 'signed out'}: {response.status_code}"
            if rule_says is API_KEY:
                assert response.status_code == 403 and "api_key" in response.get_data(as_text=True), where
            elif rule_says is MODERATORS:
                if role in ("manager", "admin"):
                    assert not refused(response), where
                else:
                    assert refused(response), where
            elif rule_says is PUBLIC or (role and Role(role) in rule_says):
                assert not refused(response), where
            else:
                assert refused(response), where
                if role is None:
                    assert response.status_code == 302, where  # someone signed out is asked to sign in
            assert response.status_code < 500, where
            response.close()
            checked += 1
    assert checked > 60
