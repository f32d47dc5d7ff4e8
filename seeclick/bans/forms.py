"""The form that makes a ban, and the button that lifts one."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.fields import EmailField, TelField

from seeclick.bans.services import DURATIONS, REASON_LIMIT
from seeclick.forms import Form, choices

DURATION_LABELS = {1: _l("A day"), 7: _l("A week"), 30: _l("30 days"), 90: _l("90 days"), 365: _l("A year")}


class BanForm(Form):
    report = HiddenField()  # the ticket it is made from; its browser is named by the report, never by a token
    email = EmailField(_l("Email address"), render_kw={"autocomplete": "off", "maxlength": 254})
    phone = TelField(_l("Phone number"), render_kw={"autocomplete": "off", "maxlength": 25})
    browser = BooleanField(_l("The browser this report was sent from"))
    reason = TextAreaField(_l("Why"), render_kw={"rows": 3, "maxlength": REASON_LIMIT})
    # Checked by the service, so that a value from no option gets our own message.
    days = SelectField(_l("For how long"), choices=choices((str(d), DURATION_LABELS[d]) for d in DURATIONS),
                       default="30", validate_choice=False)


class LiftForm(Form):
    """A button."""
