"""Abuse limits: sign-in per address, account and browser; "me too" and confirmation mail; shared by every process."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from seeclick.accounts import services
from seeclick.accounts.models import Role
from seeclick.notifications.models import Event, Notification
from seeclick.reports.models import Support
from tests.conftest import csrf_token

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dispatcher(session, departments):
    return services.create_user("dispatcher@city.example", PASSWORD, Role.STAFF, departments["dot-bk"], "Dana")


def browser_at(app, address):
    """A browser of its own (its own cookies) at an address of its own."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, email="dispatcher@city.example", password=PASSWORD):
    data = {"csrf_token": csrf_token(client, "/login"), "email": email, "password": password}
    return client.post("/login", data=data)


def test_guessing_one_accounts_password_from_many_addresses_is_stopped(app, client, dispatcher):
    allowed = 10  # LOGIN_ACCOUNT_LIMIT: 10 per hour
    answers = [sign_in(browser_at(app, f"10.1.{i // 200}.{i % 200 + 1}"), password=f"guess {i}").status_code
               for i in range(200)]
    assert answers[:allowed] == [401] * allowed
    assert set(answers[allowed:]) == {429}
    refused = sign_in(browser_at(app, "10.9.9.9"), password="guess again")
    assert "Too many failed sign-ins to this account" in refused.get_data(as_text=True)
    # The limit is the account's, not the addresses': another account is not affected.
    assert sign_in(browser_at(app, "10.9.9.9"), email="other@city.example").status_code == 401


def test_the_right_password_from_a_browser_that_signed_in_before_gets_in_during_an_attack(app, dispatcher):
    own = browser_at(app, "192.0.2.10")
    assert sign_in(own).status_code == 302  # yesterday: this browser now carries a device cookie
    own.post("/logout", data={"csrf_token": csrf_token(own, "/")})
    for i in range(40):  # an attack on the account from elsewhere
        sign_in(browser_at(app, f"10.2.0.{i + 1}"), password=f"guess {i}")
    assert sign_in(browser_at(app, "10.2.1.1")).status_code == 429  # a new browser waits, right password or not
    assert sign_in(own).status_code == 302


def test_a_busy_address_does_not_lock_out_the_right_password_of_a_browser_that_signed_in_before(app, dispatcher):
    office = "198.51.100.7"  # a city office: many people behind one address
    own = browser_at(app, office)
    assert sign_in(own).status_code == 302
    own.post("/logout", data={"csrf_token": csrf_token(own, "/")})
    for i in range(31):  # LOGIN_LIMIT: 30 failures a minute from one address, over many accounts
        sign_in(browser_at(app, office), email=f"clerk{i}@city.example", password="wrong")
    assert sign_in(browser_at(app, office), email="clerk99@city.example").status_code == 429
    assert sign_in(own).status_code == 302


def test_a_device_cookie_is_only_trusted_for_its_own_account_and_its_own_failures(app, dispatcher, session,
                                                                                 departments):
    services.create_user("second@city.example", PASSWORD, Role.STAFF, departments["dot-bk"], "Sam")
    own = browser_at(app, "192.0.2.20")
    assert sign_in(own).status_code == 302
    own.post("/logout", data={"csrf_token": csrf_token(own, "/")})
    for i in range(10):  # the second account is under attack
        sign_in(browser_at(app, f"10.3.0.{i + 1}"), email="second@city.example", password=f"guess {i}")
    assert sign_in(own, email="second@city.example").status_code == 429  # the cookie is the first account's
    answers = [sign_in(own, password=f"guess {i}").status_code for i in range(6)]
    assert answers == [401] * 5 + [429]  # LOGIN_DEVICE_LIMIT: a stolen cookie is no licence to guess

    forged = browser_at(app, "192.0.2.21")
    forged.set_cookie("seeclick_device", own.get_cookie("seeclick_device").value[:-4] + "AAAA")
    for i in range(10):
        sign_in(browser_at(app, f"10.4.0.{i + 1}"), password=f"guess {i}")
    assert sign_in(forged).status_code == 429


def test_the_device_cookie_is_private_and_same_site(app, dispatcher):
    own = browser_at(app, "192.0.2.30")
    response = sign_in(own)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("seeclick_device="))
    assert "HttpOnly" in header and "SameSite=Strict" in header
    assert "dispatcher" not in urllib.parse.unquote(header)  # the account is a keyed hash, not the address


# --- "me too" -----------------------------------------------------------------------------------

def support_from(app, address, report):
    browser = browser_at(app, address)
    page = f"/reports/{report.public_id}"
    return browser.post(f"{page}/support", data={"csrf_token": csrf_token(browser, page)}, follow_redirects=True)


def supporters(session, report):
    return session.scalar(select(func.count()).where(Support.report_id == report.id))


def test_me_too_without_the_sites_own_browser_token_is_not_counted(app, session, make_report):
    report = make_report()
    page = f"/reports/{report.public_id}"
    browser = browser_at(app, "203.0.113.1")
    token = csrf_token(browser, page)
    browser.delete_cookie("seeclick_browser")
    answer = browser.post(f"{page}/support", data={"csrf_token": token}, follow_redirects=True)
    assert "could not be counted" in answer.get_data(as_text=True) and supporters(session, report) == 0
    browser.set_cookie("seeclick_browser", "made-up-token")
    browser.post(f"{page}/support", data={"csrf_token": token})
    assert supporters(session, report) == 0
    # The answer gave the browser a token of ours: pressing again counts.
    answer = browser.post(f"{page}/support", data={"csrf_token": token}, follow_redirects=True)
    assert "your support is counted" in answer.get_data(as_text=True) and supporters(session, report) == 1


def test_one_address_cannot_inflate_a_reports_support(app, session, make_report):
    report, other = make_report(), make_report(description="Another hole")
    answers = [support_from(app, "203.0.113.2", report).status_code for _ in range(30)]
    assert answers[:5] == [200] * 5 and set(answers[5:]) == {429}  # SUPPORT_REPORT_LIMIT: 5 per day
    assert supporters(session, report) == 5
    assert support_from(app, "203.0.113.3", report).status_code == 200  # a neighbour still counts
    assert support_from(app, "203.0.113.2", other).status_code == 200  # and the address, on another report
    assert supporters(session, report) == 6


# --- confirmation mail --------------------------------------------------------------------------

def confirmations_to(session, address):
    return session.scalar(select(func.count()).where(Notification.event == Event.CONFIRM,
                                                     func.lower(Notification.recipient) == address.lower()))


def test_an_address_gets_one_confirmation_link_a_day_whoever_asks(app, session, make_report):
    reports = [make_report(description=f"Hole {i}") for i in range(3)]
    for i, report in enumerate(reports):
        browser = browser_at(app, f"203.0.113.{10 + i}")
        page = f"/reports/{report.public_id}"
        answer = browser.post(f"{page}/follow", data={"csrf_token": csrf_token(browser, page),
                                                      "email": "Victim@Example.org"}, follow_redirects=True)
        assert "Check your email" in answer.get_data(as_text=True)  # the same answer every time
    neighbourhood = browser_at(app, "203.0.113.20")
    page = "/neighbourhoods/BK0802"
    neighbourhood.post(f"{page}/watch", data={"csrf_token": csrf_token(neighbourhood, page),
                                              "email": "victim@example.org"})
    assert confirmations_to(session, "victim@example.org") == 1


def test_one_address_cannot_mail_many_strangers(app, session, make_report):
    report = make_report()
    page = f"/reports/{report.public_id}"
    browser = browser_at(app, "203.0.113.30")
    answers = [browser.post(f"{page}/follow", data={"csrf_token": csrf_token(browser, page),
                                                    "email": f"stranger{i}@example.org"}).status_code
               for i in range(30)]
    limit = 10  # FOLLOW_LIMIT: 10 per hour
    assert answers[:limit] == [303] * limit and set(answers[limit:]) == {429}
    sent = session.scalar(select(func.count()).where(Notification.event == Event.CONFIRM,
                                                     Notification.recipient.like("stranger%")))
    assert sent == limit


# --- shared by every process --------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_limits_hold_across_gunicorn_workers(app):
    """Three workers allow what the setting says, not three times it."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--bind", f"127.0.0.1:{port}", "--log-level",
         "warning", "--no-control-socket", "seeclick:create_app({'TESTING': True})"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10)
                break
            except OSError:  # not listening yet
                time.sleep(0.1)
        answers = []
        for i in range(30):
            jar = http.cookiejar.CookieJar()  # a new browser each time, so each request may meet another worker
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = opener.open(base + "/login", timeout=10).read().decode()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
            data = urllib.parse.urlencode({"csrf_token": token, "email": "shared@city.example",
                                           "password": f"guess {i}"}).encode()
            try:
                answers.append(opener.open(base + "/login", data=data, timeout=10).status)
            except urllib.error.HTTPError as error:
                answers.append(error.code)
        assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}
    finally:
        server.terminate()
        server.wait(timeout=30)
