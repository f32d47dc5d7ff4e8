"""The catalogues hold every string people read, translated, with the placeholders the code fills in.

The strings are extracted afresh from the code and templates (babel.cfg, as `make messages` does), in
memory, and compared with what each catalogue holds: a string added without `make messages`, or left
untranslated, fails here. Spanish covers everything; Chinese (Simplified) every public page and the
citizen's mail (the staff's, the moderators' and the administrators' pages are in English and Spanish).
"""

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "seeclick" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
COMPLETE = ["es"]  # languages every page is translated into
# What every language covers: the citizen's path (the form, the answer after sending, the report's page
# with its follow, watch and flag forms, their errors), every public page a resident reads (the home
# page, the map, the neighbourhoods, the response times, their own data, the questionnaire after a
# close, the open data's feeds), and every mail sent to the public.
CITIZEN_PATH = (
    "templates/base.html", "templates/_languages.html", "templates/_site_links.html", "templates/_form.html",
    "templates/_media_links.html", "templates/reports/", "templates/error.html", "templates/unavailable.html",
    "templates/home/", "templates/publicmap/", "templates/neighbourhoods/", "templates/stats/", "templates/email/",
    "templates/notifications/", "templates/privacy/", "templates/questionnaires/",
    "seeclick/reports/", "seeclick/photos/", "seeclick/words.py", "seeclick/errors.py", "seeclick/outages.py",
    "seeclick/routing/", "seeclick/geo.py", "seeclick/forms.py", "seeclick/moderation/forms.py",
    "seeclick/notifications/", "seeclick/maps.py", "seeclick/home/", "seeclick/publicmap/", "seeclick/neighbourhoods/",
    "seeclick/stats/", "seeclick/privacy/", "seeclick/questionnaires/", "seeclick/opendata/",
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def extracted() -> dict[str, set[str]]:
    """Every msgid in the code and templates, with the files it is in."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, set()).add(filename)
    return found


def catalogue(code: str):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def msgid_of(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def untranslated(message, plural_forms: int) -> bool:
    strings = forms(message)[:plural_forms] if isinstance(message.id, tuple) else forms(message)
    return message.fuzzy or not all(strings)


def wrong_placeholders(message) -> list[str]:
    """The forms of a translation whose %(name)s differ from the English they translate."""
    if isinstance(message.id, tuple):
        singular, plural = (set(PLACEHOLDER.findall(text)) for text in message.id)
        wanted = [singular] + [plural] * (len(forms(message)) - 1) if len(forms(message)) > 1 else [plural]
        # A language with one form says the number (the plural's placeholders); English may leave it out.
        return [text for text, names in zip(forms(message), wanted, strict=True)
                if text and set(PLACEHOLDER.findall(text)) not in (names, singular | plural)]
    names = set(PLACEHOLDER.findall(message.id))
    return [text for text in forms(message) if text and set(PLACEHOLDER.findall(text)) != names]


@pytest.fixture(scope="module")
def strings():
    return extracted()


def test_the_extraction_finds_the_strings_of_code_templates_and_mail(strings):
    # The three kinds of source each have their strings found: a domain error, a page, a mail.
    assert "Choose what the problem is." in strings
    assert "Report a problem" in strings
    assert "Report #%(number)s received: %(category)s" in strings
    assert "The photo%(name)s is empty: choose it again and re-attach it." in strings


@pytest.mark.parametrize("code", ["es", "zh_Hans"])
def test_every_string_people_read_is_in_the_catalogue(strings, code):
    held = {msgid_of(m) for m in catalogue(code) if m.id}
    missing = sorted(set(strings) - held)
    assert missing == [], f"not in the {code} catalogue: run `make messages` and translate them: {missing[:20]}"


@pytest.mark.parametrize("code", COMPLETE)
def test_a_complete_language_has_every_string_translated(strings, code):
    po = catalogue(code)
    left = [msgid_of(m) for m in po if m.id and msgid_of(m) in strings and untranslated(m, po.num_plurals)]
    assert left == [], f"untranslated or fuzzy in {code}: {left[:20]}"


def test_chinese_covers_the_citizen_path(strings):
    po = catalogue("zh_Hans")
    on_path = {msgid for msgid, files in strings.items()
               if any(name.replace("\\", "/").startswith(CITIZEN_PATH) for name in files)}
    assert len(on_path) > 200  # the path's files were found
    by_id = {msgid_of(m): m for m in po if m.id}
    left = sorted(msgid for msgid in on_path if untranslated(by_id[msgid], po.num_plurals))
    assert left == [], f"the citizen's path has strings untranslated in Chinese: {left[:20]}"


@pytest.mark.parametrize("code", ["es", "zh_Hans"])
def test_translations_keep_the_placeholders_the_code_fills_in(code):
    po = catalogue(code)
    wrong = {msgid_of(m): bad for m in po if m.id and (bad := wrong_placeholders(m))}
    assert wrong == {}
    problems = [(msgid_of(m), [str(e) for e in errors]) for m, errors in po.check()]  # Babel's own checks
    assert problems == []


def test_the_placeholder_check_catches_a_dropped_or_renamed_placeholder():
    from babel.messages.catalog import Message

    assert wrong_placeholders(Message("Sent to %(department)s.", "Enviado a %(departamento)s."))
    assert wrong_placeholders(Message("Sent to %(department)s.", "Enviado."))
    assert not wrong_placeholders(Message("Sent to %(department)s.", "Enviado a %(department)s."))
    assert not wrong_placeholders(Message(("%(num)d day", "%(num)d days"), ("%(num)d día", "%(num)d días")))
    assert not wrong_placeholders(Message(("%(num)d day", "%(num)d days"), ("%(num)d 天",)))
    assert wrong_placeholders(Message(("%(num)d day", "%(num)d days"), ("un día", "días")))


# Where a message cannot be translated: gettext called on a variable or an f-string (never extracted),
# or an error raised with an f-string or a plain sentence.
GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext"}
# Read only on an operator's terminal, in English like the rest of the command line: the CLI, backups,
# the demo loader, the local servers, and errors of configuration. The address-point files are read by
# `flask addresses import` alone (boundary files, read by the admin pages too, are translated); the photo
# stores' errors (a bucket unreachable, a setting missing) are logged or shown by `flask photos` only.
OPERATOR_MODULES = ("cli.py", "backup/", "demo/", "devdb.py", "devredis.py", "devpgbouncer.py", "devreplica.py",
                    "supervise.py", "jobs.py", "addresses/readers.py", "photos/storage.py", "photos/moves.py")
OPERATOR_ERRORS = {"RuntimeError", "ClickException", "UsageError", "BadParameter", "ImportError_", "ImportRefused"}
SAID_TO_PEOPLE = {"abort", "flash", "failure"}  # a page's error, a flashed message, an Open311 error body


def is_gettext(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT


def untranslatable(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if is_gettext(node) and node.args:
            texts = node.args[:2] if node.func.id in ("ngettext", "lazy_ngettext") else node.args[:1]
            if not all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts):
                found.append((node.lineno, f"gettext of something not a literal: {ast.unparse(node)[:80]}"))
        call = node.exc if isinstance(node, ast.Raise) else node if isinstance(node, ast.Call) else None
        if not isinstance(call, ast.Call):
            continue
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if isinstance(node, ast.Raise) and name not in OPERATOR_ERRORS or name in SAID_TO_PEOPLE:
            stack = list(ast.iter_child_nodes(call))
            while stack:
                sub = stack.pop()
                if is_gettext(sub):
                    continue  # translated: its own arguments (names, numbers) are not words
                if isinstance(sub, ast.JoinedStr) or (
                        isinstance(sub, ast.Constant) and isinstance(sub.value, str) and " " in sub.value.strip()):
                    found.append((node.lineno, f"words gettext never sees: {ast.unparse(node)[:80]}"))
                    break
                stack.extend(ast.iter_child_nodes(sub))
    return found


def test_no_message_in_the_code_escapes_translation():
    found = []
    for path in sorted((ROOT / "seeclick").rglob("*.py")):
        relative = path.relative_to(ROOT / "seeclick").as_posix()
        if relative.endswith(OPERATOR_MODULES) or relative.startswith(OPERATOR_MODULES) or relative == "__init__.py":
            continue
        found += [f"seeclick/{relative}:{line}: {what}" for line, what in untranslatable(ast.parse(path.read_text()))]
    assert found == []


@pytest.mark.parametrize("source", [
    'raise ValueError(f"radius must be one of {RADII}")',
    'raise PhotoError("The photo is empty: choose it again.")',
    'raise BadRequest(_(f"{name} must be a number"))',
    'message = _(error.name)',
    'message = ngettext(singular, "%(num)d days", n)',
    'return failure(404, f"There is no service with the code {code!r}.", fmt)',
    'flash("Saved the category.")',
])
def test_the_check_catches_each_kind_of_untranslatable_message(source):
    assert untranslatable(ast.parse(source))


@pytest.mark.parametrize("source", [
    'raise BadRequest(_("%(name)s must be a number", name=name))',
    'raise PhotoError(_l("The photo%(name)s is empty.", name=f" {quoted}"))',
    'raise click.ClickException(f"There is no key {key_id}.")',
    'raise KeyError(code)',
    'flash(_("Saved."), "success")',
    'abort(404)',
])
def test_the_check_lets_translated_and_operator_messages_through(source):
    assert untranslatable(ast.parse(source)) == []


@pytest.mark.parametrize("code", ["es", "zh_Hans"])
def test_the_compiled_catalogue_is_the_one_translated(code):
    """The pages read the .mo the build compiles from the .po (make's rule); one older would show stale words."""
    po = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, "run `make venv` (or make test) to compile it"


# Text a template may hold outside gettext: units after numbers, and attributes a macro writes into a tag.
NOT_WORDS = re.compile(r"^(?:(?:\d+ )?(?:m|km|km²\)?)\s*)+$|^(?:-?[\w-]+=\"[^\"]*\"?\s*)+$|^-?[\w-]*\"$")


def words_outside_gettext(source: str, markup: bool) -> list[str]:
    """The text of a template that is not inside a {{ }} or {% %}: what a reader would see untranslated."""
    from jinja2 import Environment

    environment = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"])
    text = "".join(value if kind == "data" else "\0" for _line, kind, value in environment.lex(source))
    if markup:
        text = re.sub(r"<(script|style)\b.*?</\1>", "\0", text, flags=re.S)
        text = re.sub(r"<!--.*?-->|<[^>]*>|&\w+;|&#\d+;", "\0", text, flags=re.S)
    return [chunk.strip() for chunk in text.split("\0")
            if re.search(r"[^\W\d_]{2,}", chunk) and not NOT_WORDS.match(chunk.strip())]


def test_every_word_of_a_page_or_a_mail_goes_through_gettext():
    found = {}
    for path in sorted((ROOT / "templates").rglob("*.*")):
        if words := words_outside_gettext(path.read_text(), markup=path.suffix == ".html"):
            found[path.relative_to(ROOT).as_posix()] = words
    assert found == {}


def test_the_template_check_catches_words_written_into_a_page():
    assert words_outside_gettext("<p>{{ _('Saved.') }} Thank you</p>", markup=True) == ["Thank you"]
    assert words_outside_gettext('<img alt="A pothole">', markup=True) == []  # inside a tag: see the next test
    assert words_outside_gettext("<p>{{ _('Saved.') }} <b>250 m</b></p>", markup=True) == []


def english_attributes(source: str) -> list[str]:
    """Attributes a person reads (a screen reader's label, a hint in a field) written as plain text."""
    return [m[0] for m in re.finditer(
        r'\b(?:alt|title|placeholder|aria-label|aria-description|content|value)="[^"{]*[^\W\d_]{3,}[^"{]*"', source)
        if not re.search(r'(?:content|value)="(?:width=|[\w-]+")', m[0])]


def test_no_attribute_a_person_reads_is_written_in_english():
    found = {path.name: bad for path in sorted((ROOT / "templates").rglob("*.html"))
             if (bad := english_attributes(path.read_text()))}
    assert found == {}


def test_the_attribute_check_catches_a_label_not_translated():
    assert english_attributes('<img alt="A pothole">') == ['alt="A pothole"']
    assert english_attributes('<nav aria-label="{{ _(\'Account\') }}">') == []
    assert english_attributes('<meta name="viewport" content="width=device-width"><option value="open">') == []
