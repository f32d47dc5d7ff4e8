from flask_babel import lazy_gettext as _l
from wtforms import FileField, TextAreaField

from seeclick.forms import Form


class AnswerForm(Form):
    """The answer a link carries; the page sends it by itself (a mail scanner opening the link sends nothing)."""


class NoteForm(Form):
    note = TextAreaField(_l("Anything to add? (optional; it is public, on the report's timeline)"),
                         render_kw={"rows": 3, "maxlength": 2000})


class ReopenForm(Form):
    note = TextAreaField(_l("What is still wrong? (public, on the report's timeline)"),
                         render_kw={"rows": 4, "maxlength": 2000})
    photo = FileField(_l("A photo of how it is now (optional)"), render_kw={"accept": "image/*"})


class DecideForm(Form):
    reason = TextAreaField(_l("Reason, for the public"), render_kw={"rows": 2, "maxlength": 2000})
