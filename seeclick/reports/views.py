"""Citizens: the report form, the confirmation, each report's public page and its “me too”."""

import secrets
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from seeclick import caching, maps, ratelimits
from seeclick.accounts.permissions import can_act
from seeclick.addresses import choosing
from seeclick.caching import Kept
from seeclick.extensions import csrf, db, limiter
from seeclick.forms import TOKEN_STAND_IN, token_input, with_token
from seeclick.moderation.forms import FlagForm
from seeclick.moderation.models import Reason
from seeclick.photos import services as photos
from seeclick.photos.processing import PhotoError
from seeclick.reports import answers as answer_rules
from seeclick.reports import queries, submission, tracking
from seeclick.reports.forms import ConfirmForm, EmailOnlyForm, ReportForm
from seeclick.reports.submission import Draft, Invalid

bp = Blueprint("reports", __name__)


BROWSER_COOKIE = ratelimits.BROWSER_COOKIE


def browser_token() -> str | None:
    """The token this site gave the browser (inside its signed seeclick_browser cookie), or None."""
    return ratelimits.browser_id()


def remember_browser(response, token: str):
    """Keep (or give) the browser its token for a year: it counts its "me too" once, and names it to a ban."""
    ratelimits.set_browser_id(response, token)
    return response


def report_limit():
    return current_app.config["REPORT_LIMIT"]


def support_limit():
    return current_app.config["SUPPORT_LIMIT"]


def support_report_limit():
    return current_app.config["SUPPORT_REPORT_LIMIT"]


@bp.route("/reports/new", methods=["GET", "POST"])
@limiter.limit(report_limit, methods=["POST"], deduct_when=lambda response: response.status_code in (201, 303))
@csrf.exempt  # the form checks its own token, so an expired page is shown again with nothing lost
def new():
    """The report form: where, what, photos, who; shown again with every problem beside its field.

    A draft kept on the phone while offline (static/js/drafts.js) is sent here too, asking for JSON:
    it is answered 201 with its tracking number, or 422 with the problems by field.
    """
    form = ReportForm()
    wants_json = request.method == "POST" and request.accept_mimetypes.best == "application/json"
    errors: dict[str, str] = {}
    if request.method == "GET":  # from a link: a place (the public map), or a neighbourhood (its page)
        form.lat.data, form.lon.data = request.args.get("lat", ""), request.args.get("lon", "")
        form.neighbourhood.data = request.args.get("neighbourhood", "")
    try:
        where = submission.parse_where(form.lat.data, form.lon.data)
    except Invalid as invalid:
        where = None
        errors.update(invalid.errors)
    staged, expired = [], False
    address_search = choosing.from_form(request.form) if form.is_submitted() else choosing.AddressSearch()
    if form.is_submitted():
        if not form.validate():  # the CSRF token: an expired page is told, and nothing typed is lost
            expired = True
            errors["form"] = _("This page had expired, so nothing was sent. Check what you typed and send again.")
        else:
            uploaded, places, upload_errors = stage_uploads(form)
            errors.update(upload_errors)
            if where is None and places and not form.neighbourhood.data and "location" not in errors:
                # Offered, not imposed: the pin goes where the photo was taken, for the person to check.
                where = places[0]
                form.lat.data, form.lon.data = f"{where.lat:.6f}", f"{where.lon:.6f}"
                errors["location"] = _("We placed the report where your photo was taken. Check the place, "
                                       "then send again.")
            if address_search.chosen:  # the address box without script: the place chosen in its results
                choosing.place_on(form, address_search.chosen)
                where = address_search.chosen.where
                errors.pop("location", None)
            if request.form.get("step") == "send" and not errors:
                try:
                    token = browser_token() or secrets.token_urlsafe(24)
                    report, _created = submission.submit(draft_from(form, where, uploaded, token))
                    public_id = report.public_id  # read before the commit expires it
                    db.session.commit()
                    # Only this browser is told whether a receipt went to an email address.
                    session["sent"] = [public_id, *session.get("sent", [])][:10]
                    if wants_json:
                        return remember_browser(sent_json(public_id), token)
                    return remember_browser(redirect(url_for("reports.sent", public_id=public_id), code=303), token)
                except Invalid as invalid:
                    db.session.rollback()
                    errors.update(invalid.errors)
            staged = photos.staged(tokens(form, uploaded), skip_expired=True)
    if wants_json:
        return draft_problems(where, errors, expired)
    page, status = render_form(form, where, errors, staged, address_search=address_search)
    # Never from the cache: Back then Send would resend an old form's key.
    headers = {"Cache-Control": "no-store"}
    if request.method == "GET" and not current_user.is_authenticated:
        headers["X-Offline-Copy"] = "keep"  # the service worker may keep this page to open it offline
    return page, status, headers


def sent_json(public_id):
    """The answer to a draft sent from the phone: its tracking number and the pages to see it on."""
    response = jsonify(public_id=public_id, sent_url=url_for("reports.sent", public_id=public_id),
                       url=url_for("reports.show", public_id=public_id))
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


def draft_problems(where, errors, expired):
    """Why a draft sent from the phone was not made, by field, for its citizen to fix (nothing was stored).

    `expired` says the page's token alone was refused (the phone asks for a fresh one and sends again);
    `where` is the place the server chose, from a photo, for the citizen to check.
    """
    if not errors:  # a form sent without "send": nothing to make, and nothing wrong either
        errors = {"form": _("Press “Send the report” to send it.")}
    return jsonify(errors=errors, expired=expired,
                   where={"lat": where.lat, "lon": where.lon} if where else None), 422, {"Cache-Control": "no-store"}


@bp.get("/reports/offline.js")
def offline_worker():
    """The service worker that keeps the report form, and drafts of reports, on the phone (static/js/offline.js).

    Served under /reports/ so that it looks after the citizens' pages only: the form, the answer, a report.
    """
    script = (Path(current_app.static_folder) / "js" / "offline.js").read_bytes()
    # no-cache: the browser asks for it at each visit, and takes a new version at once
    return script, 200, {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}


@bp.get("/reports/token")
def token():
    """A fresh form token for a draft kept on the phone, asked for just before it is sent."""
    return jsonify(csrf_token=generate_csrf()), 200, {"Cache-Control": "no-store"}


def stage_uploads(form):
    """Keep the photos sent with this form (without script they come with it), with where they were taken."""
    staged, places, errors = [], [], {}
    room = current_app.config["MAX_PHOTOS"] - len([t for t in request.form.getlist("photo_token") if t])
    for upload in request.files.getlist(form.photos.name):
        if not upload or not upload.filename:
            continue
        if len(staged) >= room:
            errors["photos"] = _("Add at most %(count)d photos.", count=current_app.config["MAX_PHOTOS"])
            break
        try:
            photo, processed = photos.stage(upload.read(), upload.filename)
            staged.append(photo)
            places += [processed.gps] if processed.gps else []
        except PhotoError as error:
            errors["photos"] = str(error)
    if staged:
        db.session.commit()
    return staged, places, errors


def tokens(form, staged):
    given = [t for t in request.form.getlist("photo_token") if t]
    return list(dict.fromkeys(given + [p.token for p in staged]))


def draft_from(form, where, staged, token) -> Draft:
    category = request.form.get("category", "")
    return Draft(
        category_id=int(category) if category.isdigit() else None,
        where=where,
        neighbourhood_code=form.neighbourhood.data or "" if where is None else "",
        address=form.address.data or "",
        description=form.description.data or "",
        answers={key.removeprefix("answer-"): request.form.getlist(key)
                 for key in request.form if key.startswith("answer-")},
        photo_tokens=tokens(form, staged),
        name=form.name.data or "", email=form.email.data or "", phone=form.phone.data or "",
        show_name=bool(form.show_name.data), submission_key=form.submission_key.data or "",
        contact_ok=bool(form.contact_ok.data), approximate=form.approximate.data == "1" and where is not None,
        browser_key=submission.browser_key(token),
    )


def render_form(form, where, errors, staged, status=None, address_search=None, template="reports/new.html"):
    served = queries.offered(where)
    form.category.choices = [("", _("Choose…"))] + [(str(c.id), c.name) for c in served]
    form.neighbourhood.choices = [("", _("Choose…"))] + [
        (code, f"{name} ({borough})") for code, name, borough in queries.neighbourhoods()]
    for name, message in errors.items():
        if name in form:
            form[name].errors = [message]
    chosen = queries.category(int(form.category.data)) if (form.category.data or "").isdigit() else None
    nearby = queries.nearby_open(chosen.id, where, current_app.config["NEARBY_METRES"]) if chosen and where else []
    answers = {k.removeprefix("answer-"): request.form.getlist(k) for k in request.form if k.startswith("answer-")}
    drawn, map_name = maps.report_form_map_parts(where)
    status = status or (422 if errors else 200)
    contact_found = submission.has_contact_details(form.description.data, form.address.data)
    return render_template(template, form=form, errors=errors, chosen=chosen, nearby=nearby, staged=staged,
                           questions=questions_html(served, chosen, answers, errors), where=where,
                           map=drawn, map_name=map_name,
                           address_search=address_search or choosing.AddressSearch(),
                           outside=where is not None and not served, contact_found=contact_found), status


# The questions of the form's categories as a page with nothing chosen, answered or wrong shows them, by language
# and the categories' versions: an edit to a category or its questions, by any process, is a new key.
_questions: Kept[str] = Kept("the report form's questions, by language and the categories' versions", limit=200)


def questions_html(served: list, chosen, answers: dict, errors: dict) -> Markup:
    """Every offered category's questions, only the chosen one's shown (the form's script shows the one chosen)."""
    def draw() -> str:
        return render_template("reports/_questions.html", categories=queries.with_questions([c.id for c in served]),
                               chosen=chosen, answers=answers, errors=errors)

    if chosen is None and not answers and not any(name.startswith("answer-") for name in errors):
        return Markup(_questions.get((str(get_locale()), tuple((c.id, c.version) for c in served)), draw))
    return Markup(draw())


@bp.get("/reports/place")
def place():
    """What can be reported at a point, and open reports of a category near it (for the form's script)."""
    try:
        where = submission.parse_where(request.args.get("lat", ""), request.args.get("lon", ""))
    except Invalid as invalid:
        return jsonify(error=invalid.errors["location"]), 400
    if where is None:
        return jsonify(error=_("Give lat and lon.")), 400
    served = queries.offered(where)
    neighbourhood = queries.neighbourhood_at(where)
    category = request.args.get("category", "")
    nearby = []
    if category.isdigit() and any(c.id == int(category) for c in served):
        nearby = queries.nearby_open(int(category), where, current_app.config["NEARBY_METRES"])
    return jsonify(
        inside=bool(served),
        message=None if served else _("This place is outside %(city)s: move the pin inside the city.",
                                      city=current_app.config["CITY_NAME"]),
        neighbourhood=neighbourhood.name if neighbourhood else None,
        categories=[{"id": c.id, "name": c.name, "group": c.group} for c in served],
        nearby_html=render_template("reports/_nearby.html", nearby=nearby) if nearby else "",
    )


@bp.get("/reports/<public_id>/sent")
def sent(public_id):
    """The answer: the tracking number, where it went, and what to expect from history."""
    report = queries.by_public_id(public_id) or abort(404)
    if report.hidden and report.hidden_reason is not Reason.AWAITING_REVIEW:
        return removed(report)
    return render_template("reports/sent.html", report=report, expectation=submission.expectation(report),
                           mine=report.public_id in session.get("sent", []))


@bp.get("/reports/<public_id>")
def show(public_id):
    """A report's permalink: where, what, photos, who has it, its status and public timeline."""
    report = queries.page(public_id) or abort(404)
    if report.hidden:
        return removed(queries.by_public_id(public_id))
    page, status = render_report(report)
    response = make_response(page, status)
    ratelimits.issue_browser_id(response)  # what a "me too" from this browser will carry
    return response


def removed(report):
    """What stands for a report taken from the public: removed (410), or waiting for a moderator."""
    status = 200 if report.hidden_reason is Reason.AWAITING_REVIEW else 410
    return render_template("reports/removed.html", report=report, staff=can_act(current_user, report)), status


def render_report(report: queries.ReportPage, follow_form=None, status=200):
    return render_template(
        "reports/show.html", report=report,
        answers=answer_rules.describe(report.questions, report.answers, public=True),
        engage=engage(report, follow_form), map=maps.place_map_parts(report.where, report.location_approximate),
        now=datetime.now(UTC),
    ), status


# What stands in the kept forms for what each page puts in: its report's number, its supporters, the form token.
_NUMBER, _SUPPORTERS = "__report_number__", "__supporters__"
_engaging = caching.Kept("the forms of a report's page, by language and open or not", limit=64)


def engage(report: queries.ReportPage, follow_form=None) -> Markup:
    """The forms under a report: drawn once per language (and whether the report is open) and kept, since only
    the report's number, its count of supporters and the visitor's form token change from page to page; drawn
    for this page alone when `follow_form` comes back with what was typed and what was wrong with it."""
    def draw(public_id, supporters, token, form):
        return render_template("reports/_engage.html", public_id=public_id, is_open=report.is_open,
                               supporters=supporters, follow_form=form, flag_form=FlagForm(),
                               csrf_input=token_input(token))

    if report.supporters:
        supporters = ngettext("%(num)d person added their support.", "%(num)d people added their support.",
                              report.supporters)
    else:
        supporters = _("No one else has said it affects them yet.")
    if follow_form is not None:
        return Markup(draw(report.public_id, supporters, generate_csrf(), follow_form))
    kept = _engaging.get((str(get_locale()), report.is_open, request.script_root),
                         lambda: draw(_NUMBER, _SUPPORTERS, TOKEN_STAND_IN, EmailOnlyForm(formdata=None)))
    link = url_for("reports.show", public_id=report.public_id)  # the number as the forms' addresses write it
    number = str(escape(link[link.rindex("/") + 1:]))
    return with_token(kept.replace(_NUMBER, number).replace(_SUPPORTERS, str(escape(supporters))))


@bp.post("/reports/<public_id>/support")
@limiter.limit(support_limit)
@limiter.limit(support_report_limit, key_func=ratelimits.address_and_report_key)
def support(public_id):
    """“Me too”: counted once per browser, from a browser holding the token the report's page gave it."""
    report = queries.by_public_id(public_id) or abort(404)
    if report.hidden:
        return removed(report)
    if not ConfirmForm().validate():
        abort(400)
    response = redirect(url_for("reports.show", public_id=public_id) + "#support", code=303)
    browser = ratelimits.browser_id()
    if browser is None:  # cookies refused, or a request that never saw the page
        flash(_("Your support could not be counted: this browser did not keep the cookie that counts each person "
                "once. Allow cookies for this site, then press “Me too” again."), "error")
        ratelimits.issue_browser_id(response)
        return response
    added = submission.support(report, browser)
    db.session.commit()
    flash(_("Thank you: your support is counted.") if added else _("Your support was already counted."))
    return response


@bp.get("/reports/find")
def find():
    """Look up a tracking number: off to its report's page, or a page that says plainly it is not known."""
    given = request.args.get("number", "")[:100]
    number = tracking.number(given)
    report = queries.by_tracking_number(number) if number else None
    if report is not None:  # its page shows what it shows to anyone (a removed report: only that it was removed)
        return redirect(url_for("reports.show", public_id=report.public_id), code=303)
    return render_template("reports/find.html", given=given.replace("\x00", ""), number=number), \
        404 if given.strip() else 200
