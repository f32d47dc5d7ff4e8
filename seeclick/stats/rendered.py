"""Parts of the statistics pages, rendered once and kept while the figures they show stay the same.

The figures change only when the every-minute job folds changes in, so a key holding the time
of the last fold (stats.queries.folded_at) is renewed exactly then. Parts that show live data
as well (a neighbourhood's open reports) are also kept for at most `seconds`. Each process keeps
its own copies, a bounded number of them (the dashboard and the neighbourhood pages viewed lately).

Each part is drawn by one request at a time (caching.Kept). A part kept by its fold time (the
dashboard, by_fold) is drawn again after each fold by the first request to see the new time, which
is answered with the new figures; the requests that come while it draws are answered with the copy
from the fold before, if that fold was at most STALE_AT_MOST earlier, and otherwise wait for the
drawing; a fold while it draws starts no second drawing beside it. The page says when its figures
are from (the fold time of the figures drawn in it), so a copy a fold behind tells its own time.
The first request draws rather than a thread of its own: the one who asks after a fold sees it, the
drawing has the request's context (its language, its database session), and on a busy machine a
thread beside the requests would take the same CPU from them.
"""

import json
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import TypeVar

from flask import current_app

from seeclick.caching import Kept, Shared, forget_shared
from seeclick.extensions import db

T = TypeVar("T")
# The job folds every minute: a copy is shown in place of newer figures for at most two folds.
STALE_AT_MOST = timedelta(minutes=2)
_parts: Kept = Kept("statistics pages' parts, by database and figures", limit=300)
# A neighbourhood's page is kept apart, and only a few of them in each process: a busy one's is about 220 KB
# (its map carries a thousand open reports), so every neighbourhood in three languages would be 170 MB a
# process. The sixteen looked at most lately stay here; the others come from the shared store (caching.Shared,
# where every worker and host finds what one drew: about 30 KB each, compressed, and a millisecond more than a
# page kept here) or are drawn (about 30 ms at 5M). Measured in one process at 5M, after every neighbourhood
# twice: 168 -> 181 MB with 64 kept, 173 MB with 16.
NEIGHBOURHOODS_KEPT = 16
_neighbourhoods: Kept = Kept("neighbourhood pages, by database, neighbourhood, language and figures",
                             limit=NEIGHBOURHOODS_KEPT)
_shared_neighbourhoods = Shared("neighbourhood-pages")


def kept(key: tuple, build: Callable[[], T], seconds: float | None = None) -> T:
    """build(), or what it returned for the same key before (at most `seconds` ago, when given)."""
    return _parts.get((db.engine.url.render_as_string(), *key), build, seconds)


def neighbourhood(shown: Hashable, language: str, folded_at: datetime | None, build: Callable[[], dict[str, str]],
                  seconds: float) -> dict[str, str]:
    """build() (texts by name) for a neighbourhood's page (`shown`: its id and what the page shows of it) in a
    language with the figures folded at `folded_at`, at most `seconds` old: kept that long from its drawing
    in the shared store, where the other workers and hosts find it, and in this process for what is left
    of that. A page kept here for an earlier fold is dropped once the new one is kept."""
    family = (db.engine.url.render_as_string(), shown, language)
    key = (*family, folded_at)

    def from_the_store() -> tuple[dict[str, str], float]:
        secret = current_app.secret_key.encode() if isinstance(current_app.secret_key, str) else current_app.secret_key
        text, age = _shared_neighbourhoods.get_aged(current_app.config.get("SHARED_CACHE_URI"), secret, repr(key),
                                                    lambda: json.dumps(build()), seconds)
        return json.loads(text), age

    return _neighbourhoods.get(key, from_the_store, seconds, family=family, aged=True)


def by_fold(key: tuple, folded_at: datetime | None, build: Callable[[], T]) -> T:
    """build() for the figures folded at `folded_at`, drawn once; while that is drawn, the copy drawn for an
    earlier fold at most STALE_AT_MOST before answers instead."""
    family = (db.engine.url.render_as_string(), *key)

    def recent(earlier: tuple) -> bool:
        before = earlier[-1]
        return None not in (before, folded_at) and before < folded_at <= before + STALE_AT_MOST

    return _parts.get((*family, folded_at), build, family=family, stands_in=recent)


def forget() -> None:
    """Drop the kept parts and pages, here and in the shared store (a benchmark's cold requests;
    caching.forget_all() drops everything)."""
    _parts.clear()
    _neighbourhoods.clear()
    forget_shared()  # every store this process has used
