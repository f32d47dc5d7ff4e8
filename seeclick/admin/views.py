"""Admin pages: departments, their service areas, and people. Load, check access, act, commit once."""

import tempfile
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from seeclick import maps
from seeclick.accounts import queries as accounts_query
from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role
from seeclick.accounts.permissions import admin_required
from seeclick.admin import queries
from seeclick.admin.forms import (
    ApiKeyForm,
    AreaUploadForm,
    CategoryForm,
    DepartmentForm,
    QuestionForm,
    RevokeForm,
    UserForm,
)
from seeclick.areas import queries as areas_query
from seeclick.areas import readers
from seeclick.areas.services import add_service_areas
from seeclick.categories import services as categories_service
from seeclick.categories.models import Datatype, ReopenPolicy
from seeclick.delivery import queries as delivery_query
from seeclick.delivery import services as delivery
from seeclick.delivery.models import SendMethod
from seeclick.departments import queries as departments_query
from seeclick.departments import services as departments_service
from seeclick.extensions import db
from seeclick.forms import choices
from seeclick.open311 import queries as open311_query
from seeclick.open311 import services as open311

bp = Blueprint("admin", __name__, url_prefix="/admin")


def attempt(form, work):
    """Run work() and commit; if the input is refused, roll back and put the message next to its field."""
    try:
        result = work()
    except (accounts.AccountError, departments_service.DepartmentError, categories_service.CategoryError,
            delivery.DeliveryError) as error:
        db.session.rollback()
        getattr(form, error.field).errors.append(str(error))
        return None
    db.session.commit()
    return result


@bp.get("/")
@admin_required
def index():
    return redirect(url_for(".departments"))


@bp.get("/departments")
@admin_required
def departments():
    return render_template("admin/departments.html", rows=queries.departments_with_counts())


@bp.route("/departments/new", methods=["GET", "POST"])
@admin_required
def new_department():
    form = DepartmentForm()
    if form.validate_on_submit() and (department := attempt(form, lambda: departments_service.create_department(
            form.code.data, form.name.data, form.agency.data, form.email.data or None))):
        flash(_("Created %(name)s. Now give it its service areas.", name=department.name))
        return redirect(url_for(".department", code=department.code))
    return render_template("admin/department_form.html", form=form, department=None), 422 if form.errors else 200


@bp.route("/departments/<code>", methods=["GET", "POST"])
@admin_required
def department(code):
    """Edit a department; see and replace its service areas."""
    department = departments_query.by_code(code) or abort(404)
    form = DepartmentForm(obj=department)
    form.code.render_kw = {"readonly": True}
    form.code.data = department.code
    systems = delivery_query.systems()
    form.city_system.choices = choices([(0, _("None"))] + [(s.id, s.name) for s in systems])
    if not form.is_submitted():
        form.send_method.data, form.city_system.data = department.send_method.value, department.city_system_id or 0

    def save():
        departments_service.update_department(
            department, form.name.data, form.agency.data, form.email.data or None, bool(form.staff_moderate.data),
            form.questionnaire_days.data if form.questionnaire_days.data is not None else None)
        delivery.set_send_method(department, SendMethod(form.send_method.data),
                                 next((s for s in systems if s.id == form.city_system.data), None))
        return department

    if form.validate_on_submit() and attempt(form, save):
        flash(_("Saved."))
        return redirect(url_for(".department", code=code))
    return render_department(department, form, AreaUploadForm(), 422 if form.errors else 200)


def render_department(department, form, upload, status=200):
    areas = queries.service_areas_geojson(department.id)
    area_map = maps.parts(maps.areas_map(areas)) if areas["features"] else None
    return render_template("admin/department_form.html", form=form, upload=upload, department=department,
                           areas=areas["features"], map=area_map), status


@bp.post("/departments/<code>/areas")
@admin_required
def upload_areas(code):
    """Import service areas from an uploaded GeoJSON or zipped Shapefile, all or nothing."""
    department = departments_query.by_code(code) or abort(404)
    upload = AreaUploadForm()
    if upload.validate_on_submit():
        name = upload.file.data.filename or "upload.geojson"
        suffix = "".join(Path(name).suffixes[-2:]) or ".geojson"
        with tempfile.NamedTemporaryFile(suffix=suffix) as stored:
            upload.file.data.save(stored)
            stored.flush()
            try:
                area_file = readers.read(stored.name, crs=upload.crs.data or None,
                                         name_property=upload.name_property.data or None,
                                         expected=areas_query.city_extent())
                created = add_service_areas(
                    area_file.features, lambda feature: department,
                    lambda feature: str(feature.properties.get(upload.name_property.data) or feature.label()),
                    replace=upload.replace.data,
                )
            except readers.AreaFileError as error:
                db.session.rollback()
                upload.file.errors = list(upload.file.errors) + [p for p in error.problems]
            else:
                db.session.commit()
                repaired = len(area_file.repaired)
                flash(_("Imported %(n)d areas from %(crs)s.", n=len(created), crs=area_file.crs.to_string())
                      + (" " + _("%(n)d had to be repaired.", n=repaired) if repaired else ""))
                return redirect(url_for(".department", code=code))
    form = DepartmentForm(obj=department)
    return render_department(department, form, upload, 422)


@bp.post("/areas/<int:area_id>/delete")
@admin_required
def delete_area(area_id):
    """Remove one service area (the CSRF token is checked for every POST)."""
    area = queries.service_area(area_id) or abort(404)
    code = area.department.code
    db.session.delete(area)
    db.session.commit()
    flash(_("Removed the area."))
    return redirect(url_for(".department", code=code))


@bp.get("/users")
@admin_required
def users():
    return render_template("admin/users.html", users=accounts_query.users())


def chosen_department(form):
    return departments_query.by_id(form.department.data) if form.department.data else None


def user_form(**kwargs):
    form = UserForm(**kwargs)
    form.department.choices = choices([(0, _("No department"))] + [(d.id, d.name) for d in departments_query.by_name()])
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = user_form()
    if form.validate_on_submit() and (user := attempt(form, lambda: accounts.create_user(
            form.email.data, form.password.data or "", Role(form.role.data), chosen_department(form),
            form.name.data or ""))):
        flash(_("Created an account for %(email)s.", email=user.email))
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id):
    person = queries.user(user_id) or abort(404)
    form = user_form()
    if not form.is_submitted():
        form.process(obj=person)
        form.role.data = person.role.value
        form.department.data = person.department_id or 0
    form.email.render_kw = {"readonly": True}
    if form.validate_on_submit() and attempt(form, lambda: accounts.update_user(
            person, current_user, Role(form.role.data), chosen_department(form), form.name.data or "",
            bool(form.active.data), form.password.data or "")):
        flash(_("Saved %(email)s.", email=person.email))
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=person), 422 if form.errors else 200


@bp.get("/categories")
@admin_required
def categories():
    return render_template("admin/categories.html", categories=queries.categories())


def category_form(**kwargs):
    form = CategoryForm(**kwargs)
    departments = departments_query.by_name()
    form.fallback.choices = choices([(0, _("None"))] + [(d.id, d.name) for d in departments])
    form.handlers.choices = choices((d.id, f"{d.name} ({d.code})") for d in departments)
    return form


def save_category(category, form):
    return categories_service.update_category(
        category, name=form.name.data, description=form.description.data, group=form.group.data,
        keywords=form.keywords.data, sla_hours=form.sla_hours.data,
        fallback=departments_query.by_id(form.fallback.data) if form.fallback.data else None,
        handlers=departments_query.by_ids(form.handlers.data or []), active=bool(form.active.data),
        review_first=bool(form.review_first.data), reopen_policy=ReopenPolicy(form.reopen_policy.data),
        actor=current_user,
    )


@bp.route("/categories/new", methods=["GET", "POST"])
@admin_required
def new_category():
    form = category_form()
    if form.validate_on_submit() and (category := attempt(
            form, lambda: save_category(categories_service.create_category(form.code.data), form))):
        flash(_("Created “%(name)s”.", name=category.name))
        return redirect(url_for(".category", code=category.code))
    return render_template("admin/category_form.html", form=form, category=None), 422 if form.errors else 200


@bp.route("/categories/<code>", methods=["GET", "POST"])
@admin_required
def category(code):
    """Edit a category: its words, its target, who handles it, and its questions."""
    category = queries.category(code) or abort(404)
    form = filled_category_form(category)
    form.code.render_kw = {"readonly": True}
    form.code.data = category.code
    if form.validate_on_submit() and attempt(form, lambda: save_category(category, form)):
        flash(_("Saved."))
        return redirect(url_for(".category", code=code))
    status = 422 if any(f.errors for f in form) else 200
    return render_template("admin/category_form.html", form=form, category=category, question=QuestionForm()), status


@bp.post("/categories/<code>/questions")
@admin_required
def add_question(code):
    category = queries.category(code) or abort(404)
    question = QuestionForm()
    if question.validate_on_submit() and attempt(question, lambda: categories_service.add_question(
            category, question.code.data, question.prompt.data, Datatype(question.datatype.data),
            bool(question.required.data), question.values.data, bool(question.private.data))):
        flash(_("Added the question."))
        return redirect(url_for(".category", code=code))
    category = queries.category(code)
    form = filled_category_form(category, from_request=False)
    return render_template("admin/category_form.html", form=form, category=category, question=question), 422


def filled_category_form(category, from_request=True):
    """The category form showing the category (object attributes win over defaults in WTForms)."""
    form = category_form(formdata=None) if not from_request else category_form()
    if not form.is_submitted() or not from_request:
        form.process(obj=category)
        form.keywords.data = ", ".join(category.keywords)
        form.fallback.data = category.fallback_department_id or 0
        form.handlers.data = [d.id for d in category.departments]
    return form


@bp.post("/categories/<code>/questions/<int:question_id>/<any(private, public):privacy>")
@admin_required
def question_privacy(code, question_id, privacy):
    """Make a question's answers staff only, or public again."""
    category = queries.category(code) or abort(404)
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        categories_service.set_question_private(category, question_id, privacy == "private")
    except categories_service.CategoryError:
        abort(404)
    db.session.commit()
    flash(_("Its answers are now seen only by staff.") if privacy == "private" else _("Its answers are public again."))
    return redirect(url_for(".category", code=code))


@bp.post("/categories/<code>/questions/<int:question_id>/delete")
@admin_required
def remove_question(code, question_id):
    category = queries.category(code) or abort(404)
    try:
        categories_service.remove_question(category, question_id)
    except categories_service.CategoryError:
        abort(404)
    db.session.commit()
    flash(_("Removed the question."))
    return redirect(url_for(".category", code=code))


@bp.route("/api-keys", methods=["GET", "POST"])
@admin_required
def api_keys():
    """Open311 API keys: make one (shown once), see who holds which, revoke."""
    form = ApiKeyForm()
    made = None
    if form.validate_on_submit():
        try:
            api_key, made = open311.create_key(form.name.data or "", current_user)
        except ValueError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Key made for %(name)s. Copy it now: it is not shown again.", name=api_key.name))
    return render_template("admin/api_keys.html", form=form, made=made, keys=open311_query.keys(),
                           revoke_form=RevokeForm())


@bp.post("/api-keys/<int:key_id>/revoke")
@admin_required
def revoke_api_key(key_id):
    if not RevokeForm().validate_on_submit():
        abort(400)
    api_key = open311.revoke(key_id) or abort(404)
    db.session.commit()
    flash(_("Key of %(name)s revoked: it no longer posts requests.", name=api_key.name))
    return redirect(url_for(".api_keys"))
