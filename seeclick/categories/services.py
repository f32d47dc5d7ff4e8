"""Categories and their questions: what citizens can report, who handles it, how fast. Flush, never commit."""

import re

from flask_babel import lazy_gettext as _l

from seeclick.categories import queries
from seeclick.categories.models import Category, CategoryQuestion, Datatype, ReopenPolicy, TargetHistory
from seeclick.departments.models import Department
from seeclick.extensions import db

CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
LIST_TYPES = (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)


class CategoryError(ValueError):
    """A change that would leave a category unusable; `field` says which input is at fault."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def create_category(code: str) -> Category:
    """A new, empty category with this code; fill it in with update_category() before flushing."""
    code = (code or "").strip().lower()
    if not CODE.fullmatch(code):
        raise CategoryError(_l("A code is up to 60 lowercase letters, digits, dashes and underscores."), "code")
    if queries.by_code(code) is not None:
        raise CategoryError(_l("There is already a category %(code)s.", code=code), "code")
    category = Category(code=code, name="", description="", group="", keywords=[], sla_hours=1, active=True)
    db.session.add(category)
    return category


def update_category(category: Category, *, name: str, description: str, group: str, keywords: str, sla_hours: int,
                    fallback: Department | None, handlers: list[Department], active: bool,
                    review_first: bool = False, reopen_policy: ReopenPolicy | None = None, actor=None) -> Category:
    """Change a category; a new target to close is written to its history, with who set it."""
    if not (name or "").strip():
        raise CategoryError(_l("Give the category a name citizens will recognise."), "name")
    if not sla_hours or sla_hours < 1 or sla_hours > 24 * 365:
        raise CategoryError(_l("The target is a number of hours between 1 and 8,760 (a year)."), "sla_hours")
    if active and fallback is None and not handlers:
        raise CategoryError(_l("Nobody would handle it: choose the departments that do, or a city-wide desk."),
                            "fallback")
    if category.id is None or category.sla_hours != sla_hours:
        db.session.add(TargetHistory(category=category, sla_hours=sla_hours, changed_by_id=getattr(actor, "id", None)))
    category.name = name.strip()
    category.description = (description or "").strip()
    category.group = (group or "").strip()
    category.keywords = [k.strip().lower() for k in (keywords or "").split(",") if k.strip()][:20]
    category.sla_hours = sla_hours
    category.fallback_department = fallback
    category.departments = list(handlers)
    category.active = active
    category.review_first = review_first
    if reopen_policy is not None:
        category.reopen_policy = reopen_policy
    db.session.flush()
    return category


def parse_values(text: str) -> list[dict]:
    """List choices written one a line as `key | Name` (or just `Name`, keyed by its slug)."""
    values = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, _, name = line.partition("|")
        key, name = key.strip(), (name or key).strip()
        key = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
        values.append({"key": key, "name": name})
    return values


def add_question(category: Category, code: str, prompt: str, datatype: Datatype, required: bool,
                 values: str = "", private: bool = False) -> CategoryQuestion:
    code = (code or "").strip().lower()
    if not CODE.fullmatch(code):
        raise CategoryError(_l("A code is up to 60 lowercase letters, digits, dashes and underscores."), "code")
    if any(q.code == code for q in category.questions):
        raise CategoryError(_l("This category already asks %(code)s.", code=code), "code")
    if not (prompt or "").strip():
        raise CategoryError(_l("Write the question as the citizen will read it."), "prompt")
    choices = parse_values(values)
    if datatype in LIST_TYPES and not choices:
        raise CategoryError(_l("A list question needs its choices, one a line."), "values")
    if len({v["key"] for v in choices}) != len(choices):
        raise CategoryError(_l("Two choices have the same key."), "values")
    question = CategoryQuestion(code=code, prompt=prompt.strip(), datatype=datatype, required=required,
                                position=len(category.questions), values=choices if datatype in LIST_TYPES else [],
                                private=private)
    category.questions.append(question)
    db.session.flush()
    return question


def set_question_private(category: Category, question_id: int, private: bool) -> CategoryQuestion:
    """Make a question's answers staff only, or public again (the question itself is always listed)."""
    question = next((q for q in category.questions if q.id == question_id), None)
    if question is None:
        raise CategoryError(_l("That question is not asked here."), "code")
    question.private = private
    db.session.flush()
    return question


def remove_question(category: Category, question_id: int) -> None:
    question = next((q for q in category.questions if q.id == question_id), None)
    if question is None:
        raise CategoryError(_l("That question is not asked here."), "code")
    category.questions.remove(question)
    for position, remaining in enumerate(category.questions):
        remaining.position = position
    db.session.flush()
