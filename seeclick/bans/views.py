"""Bans, for managers and administrators: the list, a new one (also from a ticket), lifting one.

Load, check access, act, commit once.
"""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from seeclick.accounts.models import Role
from seeclick.accounts.permissions import can_act, role_required
from seeclick.bans import queries, services
from seeclick.bans.forms import BanForm, LiftForm
from seeclick.extensions import db
from seeclick.reports import queries as reports

bp = Blueprint("bans", __name__, url_prefix="/staff/bans")

managers_required = role_required(Role.MANAGER, Role.ADMIN)


@bp.get("/")
@managers_required
def index():
    """Bans in force and those that ended, each with who made it and when, and who lifted it."""
    now = datetime.now(UTC)
    return render_template("bans/index.html", in_force=queries.in_force(now), ended=queries.ended(now),
                           shown=queries.ENDED_SHOWN, lift_form=LiftForm(), now=now)


@bp.route("/new", methods=["GET", "POST"])
@managers_required
def new():
    """Block an address, a number or a browser; from a ticket ("ban this reporter"), prefilled from it."""
    form = BanForm()
    report = source_report(form.report.data if request.method == "POST" else request.args.get("report", ""))
    if request.method == "GET" and report is not None:
        form.report.data = report.public_id
        form.email.data, form.phone.data = report.reporter_email or "", report.reporter_phone or ""
        form.browser.data = report.reporter_browser is not None
    if form.validate_on_submit():
        try:
            made = services.ban(current_user, form.reason.data, form.days.data, form.email.data, form.phone.data,
                                report, bool(form.browser.data))
        except services.BanError as refused:
            db.session.rollback()
            for field, message in refused.errors.items():
                form[field].errors.append(str(message))
        else:
            db.session.commit()
            flash(ngettext("Blocked: reports from it are refused until the ban ends or is lifted.",
                           "Blocked: reports from any of the %(num)d are refused until the bans end or are lifted.",
                           len(made)))
            return redirect(url_for(".index"), code=303)
    return render_template("bans/new.html", form=form, report=report), 422 if form.errors else 200


def source_report(public_id: str):
    """The ticket a ban is made from, when one is named: only one its maker may act on (its contact is shown)."""
    if not public_id:
        return None
    report = reports.by_public_id(public_id.strip().lstrip("#")) or abort(404)
    if not can_act(current_user, report):
        abort(403, _("This report belongs to another department."))
    return report


@bp.post("/<int:ban_id>/lift")
@managers_required
def lift(ban_id):
    """End a ban now."""
    ban = queries.by_id(ban_id) or abort(404)
    if not LiftForm().validate():
        abort(400)
    services.lift(ban, current_user)
    db.session.commit()
    flash(_("Lifted: reports from it are taken again."))
    return redirect(url_for(".index"), code=303)
