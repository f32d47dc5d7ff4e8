"""The citizen's report form. Category questions are read by code from the request (they vary)."""

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.fields import EmailField, TelField

from seeclick.forms import Form, KeptSelect
from seeclick.reports.submission import DESCRIPTION_LIMIT


class ReportForm(Form):
    submission_key = HiddenField(default=lambda: uuid.uuid4().hex)
    lat = HiddenField()
    lon = HiddenField()
    approximate = HiddenField()  # "1" when the pin was put at a ZIP code area or a neighbourhood found by name
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], validate_choice=False, widget=KeptSelect())
    address = StringField(_l("Address, cross streets or landmark"),
                          render_kw={"autocomplete": "street-address", "maxlength": 500})
    category = SelectField(_l("What is the problem?"), choices=[], validate_choice=False, widget=KeptSelect())
    description = TextAreaField(_l("Describe it"), render_kw={"rows": 4, "maxlength": DESCRIPTION_LIMIT})
    contact_ok = BooleanField(_l("Keep it as written: I know the description and address are public"))
    photos = MultipleFileField(_l("Photos (up to 3)"), render_kw={"accept": "image/*"})
    photo_token = HiddenField()  # one per staged photo; read with getlist
    name = StringField(_l("Your name"), render_kw={"autocomplete": "name", "maxlength": 200})
    show_name = BooleanField(_l("Show my name on the public page"))
    email = EmailField(_l("Email, for updates"), render_kw={"autocomplete": "email", "maxlength": 254})
    phone = TelField(_l("Phone"), render_kw={"autocomplete": "tel", "maxlength": 25})


class EmailOnlyForm(Form):
    email = EmailField(_l("Your email"), render_kw={"autocomplete": "email", "maxlength": 254, "required": True})


class ConfirmForm(Form):
    """A button: a link in an email only shows it, so a mail scanner opening links changes nothing."""
