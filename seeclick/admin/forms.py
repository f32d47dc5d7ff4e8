from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from seeclick.accounts.models import Role
from seeclick.categories.models import Datatype
from seeclick.forms import Form, choices


class DepartmentForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("Lowercase letters, digits and dashes, e.g. dot-bk. It cannot change later."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    agency = StringField(_l("Agency"), validators=[Optional(), Length(max=20)])
    email = EmailField(_l("Email for new reports"), validators=[Optional(), Length(max=254)])
    staff_moderate = BooleanField(_l("Its staff may moderate its reports (managers always may)"))
    questionnaire_days = IntegerField(_l("Days after a close as fixed to ask the reporter whether it is (0: never)"),
                                      default=7, validators=[Optional(), NumberRange(min=0, max=90)])
    send_method = SelectField(_l("How its reports leave seeclick"), default="mail", choices=choices([
        ("mail", _l("By mail, as before: staff work the queue, tickets passed to it are mailed")),
        ("open311", _l("Posted to the city's own system (Open311), whose changes come back")),
        ("none", _l("Not at all: seeclick is the system of record"))]))
    city_system = SelectField(_l("The city's system, for Open311 (flask cities add)"), coerce=int,
                              validators=[Optional()], validate_choice=False)


class AreaUploadForm(Form):
    file = FileField(_l("Boundary file"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["geojson", "json", "topojson", "zip", "gz"], _l("A GeoJSON or TopoJSON file, or a zipped "
                                                                     "Shapefile.")),
    ])
    name_property = StringField(_l("Property that names each area"), validators=[Optional(), Length(max=60)])
    crs = StringField(_l("Coordinate reference system, if the file does not say"),
                      validators=[Optional(), Length(max=60)], description=_l("For example EPSG:2263."))
    replace = BooleanField(_l("Replace the department's current areas"))


class UserForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=choices((r.value, r.value) for r in Role), default=Role.STAFF.value)
    department = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=1024)],
                             description=_l("At least 12 characters. Leave empty to keep the current one."))
    active = BooleanField(_l("Active"), default=True)


class CategoryForm(Form):
    code = StringField(_l("Code (the Open311 service code)"), validators=[DataRequired(), Length(max=60)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    group = StringField(_l("Group"), validators=[Optional(), Length(max=100)])
    keywords = StringField(_l("Keywords, separated by commas"), validators=[Optional(), Length(max=600)])
    sla_hours = IntegerField(_l("Target to close, in hours"), validators=[Optional()])
    fallback = SelectField(_l("City-wide desk (takes it where no local department does)"), coerce=int,
                           validators=[Optional()])
    handlers = SelectMultipleField(_l("Departments that handle it where they work"), coerce=int,
                                   validators=[Optional()])
    active = BooleanField(_l("Citizens can report it"), default=True)
    review_first = BooleanField(_l("A moderator reads each new report before it is public"))
    reopen_policy = SelectField(_l("When the reporter says it is not fixed"), choices=choices([
        ("staff_decide", _l("The department decides whether to reopen it")),
        ("at_once", _l("It reopens at once"))]), default="staff_decide")


class QuestionForm(Form):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=60)])
    prompt = StringField(_l("Question"), validators=[Optional(), Length(max=500)])
    datatype = SelectField(_l("Answer"), choices=choices((d.value, d.value) for d in Datatype))
    required = BooleanField(_l("Required"))
    private = BooleanField(_l("Private: only staff see the answer (for a flat number, a phone, a name)"))
    values = TextAreaField(_l("Choices, one a line as key | Name (for list answers)"),
                           validators=[Optional(), Length(max=4000)])


class ApiKeyForm(Form):
    name = StringField(_l("Who will hold the key"), render_kw={"maxlength": 200, "placeholder": "City app (iOS)"})


class RevokeForm(Form):
    pass
