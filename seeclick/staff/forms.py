from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import Choice
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import Select, html_params

from seeclick.caching import Kept
from seeclick.forms import choices
from seeclick.reports.lifecycle import RESOLUTIONS
from seeclick.reports.models import Status

RESOLUTION_LABELS = {Status.FIXED: _l("Fixed"), Status.NOT_FIXABLE: _l("Cannot fix"), Status.NOT_OURS: _l("Not ours")}
SORT_LABELS = {"oldest": _l("Oldest first"), "newest": _l("Newest first"), "due": _l("Due soonest"),
               "updated": _l("Recently updated")}


_options: Kept[list] = Kept("a queue filter's <option>s, by its choices", limit=200)


class KeptSelect(Select):
    """A <select> whose options are written once per list of choices and kept: the neighbourhood filter
    has a few hundred, and writing them through WTForms on every queue page cost more than its SQL.

    The key is the choices themselves (values and labels as this request's language writes them), so an
    option is never shown under a name it no longer has; only the chosen one is written each time.
    Every option is WTForms' own markup, from Select.render_option.
    """

    def __call__(self, field, **kwargs):
        offered = list(field.iter_choices())
        if any(c.render_kw for c in offered):  # options with attributes of their own: written each time
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        kwargs.update({k: getattr(flags, k) for k in dir(flags) if k in self.validation_attrs and k not in kwargs})
        pairs = tuple((c.value, str(c.label)) for c in offered)
        options = list(_options.get(pairs, lambda: [
            self.render_option(Choice(value, label, False, {})) for value, label in pairs]))
        for i, choice in enumerate(offered):
            if choice.selected:
                options[i] = self.render_option(choice)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{''.join(options)}</select>")


def department_id(value):
    """A chosen department's id; None for the empty first option ("choose one")."""
    return int(value) if value not in (None, "") else None


class QueueFilterForm(FlaskForm):
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


class ActionForm(FlaskForm):
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


class BulkAcknowledgeForm(FlaskForm):
    pass
