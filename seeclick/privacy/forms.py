"""Erasing one's own data: a box to tick, then the button."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class EraseForm(FlaskForm):
    confirm = BooleanField(_l("I understand: this cannot be undone, and the city can no longer reach me about "
                              "these reports."))
