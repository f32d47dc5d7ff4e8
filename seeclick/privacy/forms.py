"""Erasing one's own data: a box to tick, then the button."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from seeclick.forms import Form


class EraseForm(Form):
    confirm = BooleanField(_l("I understand: this cannot be undone, and the city can no longer reach me about "
                              "these reports."))
