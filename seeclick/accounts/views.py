"""Signing in and out."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from seeclick import ratelimits
from seeclick.accounts import services
from seeclick.accounts.forms import LoginForm, LogoutForm
from seeclick.extensions import limiter

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str | None:
    """A path on this site to go to after signing in; anything else (another host, a scheme) is dropped."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def after_login_url():
    return safe_next(request.args.get("next")) or url_for("home.index")


ACCOUNT_WAITS = _l("Too many failed sign-ins to this account from browsers it has not used. Wait an hour, or "
                   "sign in from a browser you have signed in with before.")


# Only failures count. A browser that signed in to the account before is judged on its own failures, not
# the address's or the account's: neither a busy office address nor an attack on the account locks it out.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"], deduct_when=ratelimits.failed_sign_in,
               exempt_when=ratelimits.trusted_device)
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_LIMIT"], methods=["POST"],
               key_func=ratelimits.login_account_key, deduct_when=ratelimits.failed_sign_in,
               exempt_when=ratelimits.trusted_device, error_message=lambda: str(ACCOUNT_WAITS))
@limiter.limit(lambda: current_app.config["LOGIN_DEVICE_LIMIT"], methods=["POST"],
               key_func=ratelimits.login_device_key, deduct_when=ratelimits.failed_sign_in,
               exempt_when=ratelimits.untrusted_device)
def login():
    """Sign in with email and password; only failed attempts count against the limits."""
    if current_user.is_authenticated:
        return redirect(after_login_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user:
            session.clear()  # a fresh session for the signed-in person
            login_user(user, remember=form.remember.data)
            session.permanent = True
            response = redirect(after_login_url())
            ratelimits.remember_device(response, form.email.data)
            return response
        form.password.errors.append(_("That email and password do not match an account."))
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
    return redirect(url_for("home.index"))


@bp.app_context_processor
def inject_logout_form():
    return {"logout_form": LogoutForm() if current_user.is_authenticated else None}
