"""The moderators' forms and the citizens' "report a problem with this report"."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from seeclick.forms import Form, choices
from seeclick.moderation.models import FLAG_REASONS, TAKEDOWN_REASONS, Reason


class FlagForm(Form):
    reason = RadioField(_l("What is wrong with it?"), choices=choices(
        (r.value, {Reason.ABUSE: _l("It is abusive or offensive"),
                   Reason.PERSONAL_INFORMATION: _l("It shows someone's personal information"),
                   Reason.WRONG_PLACE: _l("It is in the wrong place"),
                   Reason.DUPLICATE: _l("It was already reported")}[r]) for r in FLAG_REASONS), validators=[Optional()])
    note = TextAreaField(_l("Anything a moderator should know (optional, only moderators read it)"),
                         render_kw={"rows": 2, "maxlength": 1000})


class TakedownForm(Form):
    note = TextAreaField(_l("Why (optional, only moderators read it)"), render_kw={"rows": 3, "maxlength": 1000})


class ActForm(Form):
    """Every moderator's act posts this; the service says what each act needs."""

    reason = SelectField(_l("Reason the public will read"), choices=choices(
        [("", _l("Choose…"))] + [(r.value, r.label) for r in TAKEDOWN_REASONS]), validators=[Optional()])
    remove = StringField(_l("Words to take out, exactly as written"), render_kw={"maxlength": 1000})
    note = TextAreaField(_l("Note for other moderators (private)"), render_kw={"rows": 2, "maxlength": 1000})


class QueueForm(Form):
    """The moderation queue's filters, read from the query string."""

    class Meta:
        csrf = False

    reason = SelectField(_l("Flagged as"), choices=choices(
        [("", _l("Anything"))] + [(r.value, r.label) for r in (*FLAG_REASONS, Reason.REPORTER_REQUEST)]),
        validators=[Optional()])
    waiting = SelectField(_l("Waiting for review"), choices=choices(
        [("yes", _l("Include reports waiting for review")), ("no", _l("Only flagged reports"))]), default="yes")


class BulkForm(Form):
    reason = SelectField(_l("Reason the public will read"), choices=choices(
        [("", _l("Choose…"))] + [(r.value, r.label) for r in TAKEDOWN_REASONS]), validators=[Optional()])
