"""Answers to a category's questions (Open311 attributes), checked against the questions. Pure."""

from datetime import datetime

from flask_babel import gettext as _

ANSWER_LIMIT = 1000


def check(questions, raw: dict[str, list[str]]) -> tuple[dict, dict[str, str]]:
    """The clean answers by question code, and an error message by question code.

    raw maps a question's code to the values given (one for most datatypes, several for a
    multi-value list); codes of no question are ignored.
    """
    answers, errors = {}, {}
    for question in questions:
        values = [v.strip() for v in raw.get(question.code, []) if v and v.strip()]
        if not values:
            if question.required:
                errors[question.code] = _("Please answer: %(prompt)s", prompt=question.prompt)
            continue
        value, error = _one(question, values)
        if error:
            errors[question.code] = error
        else:
            answers[question.code] = value
    return answers, errors


def _one(question, values):
    kind = question.datatype.value
    keys = [v["key"] for v in question.values]
    if kind == "multivaluelist":
        unknown = [v for v in values if v not in keys]
        if unknown:
            return None, _("Choose from the list given.")
        return [k for k in keys if k in values], None
    if len(values) > 1:
        return None, _("Give one answer.")
    value = values[0]
    if len(value) > ANSWER_LIMIT:
        return None, _("Keep the answer under %(limit)d characters.", limit=ANSWER_LIMIT)
    if kind == "singlevaluelist":
        return (value, None) if value in keys else (None, _("Choose from the list given."))
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            return None, _("Give a number, such as 3 or 2.5.")
        if number != number or number in (float("inf"), float("-inf")):
            return None, _("Give a number, such as 3 or 2.5.")
        return (int(number) if number.is_integer() else number), None
    if kind == "datetime":
        try:
            return datetime.fromisoformat(value).isoformat(), None
        except ValueError:
            return None, _("Give a date and time, such as 2026-11-21 14:30.")
    return value, None


def describe(questions, answers: dict, public: bool = False) -> list[tuple[str, str]]:
    """(question, answer) pairs in the questions' order, list keys shown by their names; `public` leaves out the
    answers to private questions (staff only)."""
    shown = []
    for question in questions:
        if question.code not in answers or (public and question.private):
            continue
        names = {v["key"]: v["name"] for v in question.values}
        value = answers[question.code]
        values = value if isinstance(value, list) else [value]
        shown.append((question.prompt, ", ".join(str(names.get(v, v)) for v in values)))
    return shown
