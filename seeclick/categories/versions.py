"""A category and its questions as a new report needs them, kept per process while unchanged.

Every submission needs its category's name, target and questions: 24-odd rows that change
only when an administrator edits them. Each process keeps a copy of each category under its
version, a digest of the category's row and of its questions' rows computed by PostgreSQL
(`categories.queries.CATEGORY_VERSION`), and every submission reads the current version in the
statement that routes it. A copy is used only when its version is the current one: an edit,
committed by any process (the admin pages, `flask open311 import`), is enforced by the next
report, and nothing has to remember to clear a cache.
"""

from dataclasses import dataclass
from datetime import timedelta

from seeclick import dbapi
from seeclick.caching import Kept
from seeclick.categories import queries
from seeclick.categories.models import Datatype


@dataclass(frozen=True)
class CachedQuestion:
    """What answers.check() and answers.describe() read of a CategoryQuestion."""

    code: str
    prompt: str
    datatype: Datatype
    required: bool
    values: tuple[dict, ...]
    private: bool


@dataclass(frozen=True)
class CachedCategory:
    """What a submission reads of a Category, at one version of it."""

    id: int
    code: str
    name: str
    active: bool
    sla_hours: int
    review_first: bool
    questions: tuple[CachedQuestion, ...]
    version: str

    @property
    def sla(self) -> timedelta:
        return timedelta(hours=self.sla_hours)


_copies: Kept[CachedCategory] = Kept("categories by id, at their version")


def at_version(category_id: int, version: str | None) -> CachedCategory | None:
    """The category as it is at `version` (read in the caller's statement); None when there is none."""
    if version is None:
        return None
    copy = _copies.peek(category_id)
    if copy is not Kept.MISSING and copy.version == version:
        return copy
    return current(category_id)


def current(category_id: int) -> CachedCategory | None:
    """The category as it is now, read with its version in one statement, and kept under that version."""
    found = dbapi.one(queries.CATEGORY_WITH_VERSION, {"category_id": category_id})
    if found is None:
        return None
    row, questions, version = found
    copy = CachedCategory(
        id=row["id"], code=row["code"], name=row["name"], active=row["active"], sla_hours=row["sla_hours"],
        review_first=row["review_first"],
        questions=tuple(CachedQuestion(q["code"], q["prompt"], Datatype(q["datatype"]), q["required"],
                                       tuple(q["values"] or ()), q["private"]) for q in questions),
        version=version,
    )
    _copies.put(category_id, copy)
    return copy
