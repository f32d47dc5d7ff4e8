from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional

from seeclick.forms import Form, KeptSelect, choices
from seeclick.reports.lifecycle import RESOLUTIONS
from seeclick.reports.models import Status

RESOLUTION_LABELS = {Status.FIXED: _l("Fixed"), Status.NOT_FIXABLE: _l("Cannot fix"), Status.NOT_OURS: _l("Not ours")}
SORT_LABELS = {"oldest": _l("Oldest first"), "newest": _l("Newest first"), "due": _l("Due soonest"),
               "updated": _l("Recently updated")}


def department_id(value):
    """A chosen department's id; None for the empty first option ("choose one")."""
    return int(value) if value not in (None, "") else None


class QueueFilterForm(Form):
    """The queue's filters, read from the query string."""

    class Meta:
        csrf = False

    department = SelectField(_l("Department"), coerce=int, validators=[Optional()], widget=KeptSelect())
    status = SelectField(_l("Status"), validators=[Optional()], widget=KeptSelect())
    category = SelectField(_l("Category"), coerce=int, validators=[Optional()], widget=KeptSelect())
    neighbourhood = SelectField(_l("Neighbourhood"), coerce=int, validators=[Optional()], widget=KeptSelect())
    older_than = IntegerField(_l("Older than (days)"), validators=[Optional(), NumberRange(min=1, max=3650)])
    overdue = BooleanField(_l("Overdue only"))
    sort = SelectField(_l("Sort"), choices=choices(SORT_LABELS.items()), default="oldest", widget=KeptSelect())
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=1_000_000)], default=1)  # OFFSET is a bigint


class ActionForm(Form):
    """Every ticket action posts this; the service decides what is required for which action."""

    version = HiddenField()
    note = TextAreaField(_l("Note for the public"))
    resolution = SelectField(_l("Resolution"), choices=choices((s.value, RESOLUTION_LABELS[s]) for s in RESOLUTIONS),
                             validators=[Optional()])
    referred_to = StringField(_l("Passed to (for “not ours”)"))
    department = SelectField(_l("Send to"), coerce=department_id, validators=[Optional()], validate_choice=False)
    original = StringField(_l("Tracking number of the original report"))
    public = BooleanField(_l("Show on the public timeline"))
    after_photo = FileField(_l("Photo after the work (optional)"), render_kw={"accept": "image/*"})


class BulkAcknowledgeForm(Form):
    pass
