"""Signing in and out, and the account commands."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from seeclick.accounts import services
from seeclick.accounts.models import Role, User
from seeclick.departments.models import Department
from tests.conftest import csrf_token

PASSWORD = "correct horse battery staple"


@pytest.fixture
def dispatcher(session, departments):
    return services.create_user("dispatcher@city.example", PASSWORD, Role.STAFF, departments["dot-bk"], "Dana")


def sign_in(client, email="dispatcher@city.example", password=PASSWORD, next_url=None, **extra):
    data = {"csrf_token": csrf_token(client, "/login"), "email": email, "password": password, **extra}
    return client.post("/login" + (f"?next={next_url}" if next_url else ""), data=data)


def test_staff_sign_in_and_see_who_they_are(client, dispatcher):
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Dana" in page and "Sign out" in page


def test_email_is_matched_whatever_its_case(client, dispatcher):
    assert sign_in(client, email="  Dispatcher@CITY.example ").status_code == 302


@pytest.mark.parametrize("email, password", [
    ("dispatcher@city.example", "wrong password entirely"),
    ("nobody@city.example", PASSWORD),
])
def test_a_failed_sign_in_says_so_without_telling_which_part_was_wrong(client, dispatcher, email, password):
    response = sign_in(client, email=email, password=password)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "That email and password do not match an account." in page
    assert f'value="{email}"' in page  # what was typed is kept (but never the password)
    assert password not in page


def test_an_inactive_account_cannot_sign_in(client, session, dispatcher):
    dispatcher.active = False
    session.flush()
    assert sign_in(client).status_code == 401


@pytest.mark.parametrize("next_url, lands_on", [
    ("/healthz", "/healthz"),
    ("//evil.example/steal", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_after_signing_in_only_a_path_on_this_site_is_followed(client, dispatcher, next_url, lands_on):
    assert sign_in(client, next_url=next_url).headers["Location"] == lands_on


def test_a_form_without_its_csrf_token_is_refused(client, dispatcher):
    response = client.post("/login", data={"email": "dispatcher@city.example", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    forged = client.post("/login", data={"csrf_token": "forged", "email": "dispatcher@city.example",
                                         "password": PASSWORD})
    assert forged.status_code == 400


def test_a_good_password_counts_nothing_against_the_limits(app, client, dispatcher):
    for _ in range(12):  # more than the account allows failures: successful sign-ins are not failures
        assert sign_in(client).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_signing_out_takes_a_post_with_its_token(client, dispatcher):
    sign_in(client)
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": "forged"})
    assert "Sign out" in client.get("/").get_data(as_text=True)  # still signed in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert "Staff sign in" in client.get("/").get_data(as_text=True)


def test_staff_sessions_expire(app, client, dispatcher):
    sign_in(client)
    cookie = client.get_cookie("session")
    assert cookie.expires is not None
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=12)


def test_the_login_page_is_usable_by_keyboard_and_screen_reader(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<label for="email">' in page and '<label for="password">' in page
    assert 'autocomplete="current-password"' in page


# --- commands -----------------------------------------------------------------------------

def test_users_create_makes_a_staff_account(cli, session):
    result = cli.invoke(args=["users", "create", "crew@city.example", "--role", "staff", "--department", "dot-bk",
                              "--name", "Crew lead"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "crew@city.example"))
    assert user.role is Role.STAFF and user.department.code == "dot-bk" and user.check_password(PASSWORD)


@pytest.mark.parametrize("args, message", [
    (["users", "create", "crew@city.example", "--department", "nowhere"], "No department with code 'nowhere'"),
    (["users", "create", "crew@city.example", "--role", "staff"], "A staff belongs to a department"),
    (["users", "create", "not-an-email", "--role", "admin"], "is not an email address"),
    (["users", "create", "crew@city.example", "--role", "king"], "'king' is not one of"),
    (["users", "create", "crew@city.example", "--role", "admin", "--password", "short"], "at least 12 characters"),
    (["departments", "create", "Bad Code!", "Name"], "a department code is up to 40 lowercase"),
    (["departments", "create", "dot-bk", "Again"], "There is already a department dot-bk"),
])
def test_account_commands_explain_bad_input(cli, session, args, message):
    result = cli.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0
    assert message in result.output
    assert session.scalar(select(User).where(User.email == "crew@city.example")) is None


def test_an_email_cannot_have_two_accounts(cli, dispatcher):
    result = cli.invoke(args=["users", "create", "DISPATCHER@city.example", "--role", "admin"],
                        input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0 and "already an account" in result.output


def test_departments_create_and_list(cli, session):
    result = cli.invoke(args=["departments", "create", "dot-bk-bridges", "DOT Brooklyn bridges", "--agency", "dot"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(Department).where(Department.code == "dot-bk-bridges")).agency == "dot"
    assert "dot-bk-bridges" in cli.invoke(args=["departments", "list"]).output


def test_fields_carry_no_empty_aria_attributes(client):
    page = client.get("/login").get_data(as_text=True)
    assert '="None"' not in page
