"""Form helpers shared by every domain's forms, and the form they all are (Form)."""

import functools

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import SelectChoice
from wtforms.fields.choices import Choice
from wtforms.i18n import messages_path
from wtforms.widgets import Select, html_params

from seeclick.caching import Kept


class _WTFormsMessages:
    """WTForms' own messages ("This field is required.") in the reader's language, from its catalogue read once
    per language and process: Flask-WTF reads and parses it again in every request that validates a form."""

    def gettext(self, string: str) -> str:
        return _catalogue(str(get_locale())).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _catalogue(str(get_locale())).ungettext(singular, plural, n)


@functools.lru_cache(maxsize=32)
def _catalogue(locale_name: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale_name], domain="wtforms")


_MESSAGES = _WTFormsMessages()


class Form(FlaskForm):
    """Every form of the application: Flask-WTF's, with WTForms' own messages read once per language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not has_request_context() or not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _MESSAGES


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]


# What stands for the visitor's form token in HTML drawn once for everyone (a report's forms, a
# neighbourhood's page): token_input() writes it, with_token() puts this request's token in its place.
TOKEN_STAND_IN = "__form_token__"


def token_input(token: str = TOKEN_STAND_IN) -> Markup:
    """The hidden form-token field, as Flask-WTF's csrf_token field writes it."""
    return Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="%s">') % token


def with_token(html: str) -> Markup:
    """Kept HTML with this request's form token where token_input() left the stand-in."""
    return Markup(html.replace(TOKEN_STAND_IN, str(escape(generate_csrf()))))


_options: Kept[list] = Kept("a <select>'s <option>s, by its choices", limit=200)


class KeptSelect(Select):
    """A <select> whose options are written once per list of choices and kept: the neighbourhood choices
    of the staff queue's filter and of the report form are a few hundred, and writing them through
    WTForms on every page cost more than the page's SQL.

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
