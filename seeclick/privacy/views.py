"""A person's own data, from a link in their mail: see it, download it, erase it. Load, check, act, commit once.

Mail scanners open links: a link only shows the page, and its buttons act. The token in the link is
the proof that this is the address's owner; the pages are never cached and send no referrer.
"""

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from seeclick.contact import email_address
from seeclick.extensions import db, limiter
from seeclick.privacy import export, links, queries, services
from seeclick.privacy.forms import EraseForm
from seeclick.reports.forms import ConfirmForm, EmailOnlyForm

bp = Blueprint("privacy", __name__)

# The same answer whatever the address: the form must not tell what an address holds.
SAME_ANSWER = _l("Check your email: if we hold anything under this address, we sent it a link to see it.")
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.app_template_global()
def own_data_token(address: str) -> str:
    """For mail templates: the token of the link to what is held under an address."""
    return links.token_for(address)


def support_limit():
    return current_app.config["SUPPORT_LIMIT"]


@bp.route("/my-data", methods=["GET", "POST"])
@limiter.limit(support_limit, methods=["POST"])
def ask():
    """Ask for a link to what is held under an address; it goes to that address."""
    form = EmailOnlyForm()
    if request.method == "POST":
        address = email_address(form.email.data) if form.validate() else None
        if address is None:
            form.email.errors = [_("Give your email address, such as name@example.com.")]
            return render_template("privacy/ask.html", form=form), 422
        services.send_link(address)
        db.session.commit()
        flash(SAME_ANSWER)
        return redirect(url_for(".ask"), code=303)
    return render_template("privacy/ask.html", form=form)


def address_or_ask(token):
    """The address a link's token names; None when the link is too old; 404 when it is not ours."""
    try:
        return links.address_of(token) or abort(404)
    except links.LinkExpired:
        return None


def expired():
    return render_template("privacy/ask.html", form=EmailOnlyForm(), expired=True), 410, PRIVATE


@bp.get("/my-data/<token>")
def own_data(token):
    """What is held under the address, with a button to download it and one to erase it."""
    address = address_or_ask(token)
    if address is None:
        return expired()
    return render_own_data(token, address, EraseForm())


def render_own_data(token, address, form, status=200):
    return render_template("privacy/own_data.html", token=token, address=address, held=queries.held(address),
                           form=form, download_form=ConfirmForm(), days=current_app.config["OWN_DATA_LINK_DAYS"]
                           ), status, PRIVATE


@bp.post("/my-data/<token>/download")
def download(token):
    """Everything held under the address, as a JSON file."""
    address = address_or_ask(token)
    if address is None:
        return expired()
    if not ConfirmForm().validate():
        abort(400, _("This page had expired; open the link from your email again."))
    now = datetime.now(UTC)
    reports = queries.reports_of(address)
    held = export.document(address, reports, queries.follows_of(address), queries.watches_of(address),
                           queries.mail_to(address), now, queries.as_written(reports))
    return Response(json.dumps(held, ensure_ascii=False, indent=2), mimetype="application/json", headers={
        **PRIVATE, "Content-Disposition": f'attachment; filename="seeclick-my-data-{now:%Y-%m-%d}.json"'})


@bp.post("/my-data/<token>/erase")
def erase(token):
    """Erase what is held under the address, once the person has ticked that they understand."""
    address = address_or_ask(token)
    if address is None:
        return expired()
    form = EraseForm()
    if not form.validate():
        form.confirm.errors = [_("This page had expired, so nothing was erased. Tick the box and erase again.")]
        return render_own_data(token, address, form, 400)
    if not form.confirm.data:
        form.confirm.errors = [_("Tick the box to say you understand; nothing was erased.")]
        return render_own_data(token, address, form, 422)
    removal = services.erase(address)
    db.session.commit()
    flash(_("Done: your contact details, follows, watches and mail are erased.") if removal
          else _("There was nothing to erase."))
    return redirect(url_for(".own_data", token=token), code=303)
