from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from seeclick.models import Role
from seeclick.staff.forms import choices


class DepartmentForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("Lowercase letters, digits and dashes, e.g. dot-bk. It cannot change later."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    agency = StringField(_l("Agency"), validators=[Optional(), Length(max=20)])
    email = EmailField(_l("Email for new reports"), validators=[Optional(), Length(max=254)])


class AreaUploadForm(FlaskForm):
    file = FileField(_l("Boundary file"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["geojson", "json", "zip", "gz"], _l("A GeoJSON file or a zipped Shapefile.")),
    ])
    name_property = StringField(_l("Property that names each area"), validators=[Optional(), Length(max=60)])
    crs = StringField(_l("Coordinate reference system, if the file does not say"),
                      validators=[Optional(), Length(max=60)], description=_l("For example EPSG:2263."))
    replace = BooleanField(_l("Replace the department's current areas"))


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=choices((r.value, r.value) for r in Role), default=Role.STAFF.value)
    department = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=1024)],
                             description=_l("At least 12 characters. Leave empty to keep the current one."))
    active = BooleanField(_l("Active"), default=True)
