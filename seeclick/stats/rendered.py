"""Parts of the statistics pages, rendered once and kept while the figures they show stay the same.

The figures change only when the every-minute job folds changes in, so a key holding the time
of the last fold (stats.queries.folded_at) is renewed exactly then. Parts that show live data
as well (a neighbourhood's open reports) are also kept for at most `seconds`. Each process keeps
its own copies, a bounded number of them.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from seeclick.extensions import db

T = TypeVar("T")
LIMIT = 300  # entries a process keeps: the dashboard and the neighbourhood pages viewed lately

_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()


def kept(key: tuple, build: Callable[[], T], seconds: float | None = None) -> T:
    """build(), or what it returned for the same key before (at most `seconds` ago, when given)."""
    key = (db.engine.url.render_as_string(), *key)
    with _lock:
        found = _kept.get(key)
        if found and (seconds is None or time.monotonic() - found[0] < seconds):
            _kept.move_to_end(key)
            return found[1]
    value = build()
    with _lock:
        _kept[key] = (time.monotonic(), value)
        _kept.move_to_end(key)
        while len(_kept) > LIMIT:
            _kept.popitem(last=False)
    return value


def forget() -> None:
    """Drop every kept part (tests; a benchmark's cold requests)."""
    with _lock:
        _kept.clear()
