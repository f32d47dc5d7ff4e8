"""The call taker's form: the citizen's report form, its contact fields worded for the caller."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.fields import EmailField, TelField

from seeclick.reports.forms import ReportForm


class IntakeForm(ReportForm):
    name = StringField(_l("Caller's name"), render_kw={"autocomplete": "off", "maxlength": 200})
    show_name = BooleanField(_l("The caller wants their name on the public page"))
    email = EmailField(_l("Caller's email, if they want updates"), render_kw={"autocomplete": "off", "maxlength": 254})
    phone = TelField(_l("Caller's phone"), render_kw={"autocomplete": "off", "maxlength": 25})
