"""Parts of the statistics pages, rendered once and kept while the figures they show stay the same.

The figures change only when the every-minute job folds changes in, so a key holding the time
of the last fold (stats.queries.folded_at) is renewed exactly then. Parts that show live data
as well (a neighbourhood's open reports) are also kept for at most `seconds`. Each process keeps
its own copies, a bounded number of them (the dashboard and the neighbourhood pages viewed lately).
"""

from collections.abc import Callable
from typing import TypeVar

from seeclick.caching import Kept
from seeclick.extensions import db

T = TypeVar("T")
_parts: Kept = Kept("statistics pages' parts, by database and figures", limit=300)


def kept(key: tuple, build: Callable[[], T], seconds: float | None = None) -> T:
    """build(), or what it returned for the same key before (at most `seconds` ago, when given)."""
    return _parts.get((db.engine.url.render_as_string(), *key), build, seconds)


def forget() -> None:
    """Drop the kept parts (a benchmark's cold requests; caching.forget_all() drops everything)."""
    _parts.clear()
