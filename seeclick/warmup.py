"""What a new worker draws before its first request: the pages people open first, in the city's language.

The home page's map of the city, the public map and the statistics dashboard are drawn once in each
process and kept (maps.kept_parts, maps.renewed_parts, stats.rendered). Drawn by the first request
instead, they cost the first visitors after every start or deploy a second or more each (the
dashboard alone takes about a second at a million reports), and the visitors behind them wait as
long. gunicorn.conf.py calls warm() in each worker before it takes requests. A page that cannot be
drawn (the database down while the service starts) is logged and left to the first request, as it
would be without this.
"""

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

PAGES = ("/", "/map", "/stats")


def warm(app, alive: Callable[[], None] = lambda: None) -> dict[str, int | None]:
    """Request each of PAGES from the app itself; the status of each (None: it failed). `alive` is called
    after each, so the server knows the worker is busy, not hung."""
    started = time.perf_counter()
    statuses: dict[str, int | None] = {}
    client = app.test_client()
    for path in PAGES:
        try:
            statuses[path] = client.get(path).status_code
        except Exception:  # the worker starts all the same; its first request draws the page
            log.exception("warm-up: %s could not be drawn", path)
            statuses[path] = None
        alive()
    log.info("warm-up: drew %s in %.1f s", ", ".join(f"{p} ({s})" for p, s in statuses.items()),
             time.perf_counter() - started)
    return statuses
