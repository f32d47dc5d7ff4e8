"""gunicorn settings, read from the working directory by `gunicorn wsgi:app`; command-line flags still win."""

import gc

# Threaded workers: the main thread of each worker tells the arbiter it is alive while requests run in
# the others, so `timeout` kills a worker that hangs, never one streaming a long response. A sync worker
# is killed once a single request passes `timeout` (30 s): a city's CSV export, minutes long, was cut off
# there. Each thread holds at most one database connection at a time (SQLAlchemy's pool is 5 + 10 per
# process), and an export one more for as long as it streams.
worker_class = "gthread"
threads = 4


def post_worker_init(worker):
    """Draw what the first visitors would otherwise wait for (seeclick/warmup.py), then leave what start-up
    made out of garbage collection: it lives as long as the worker.

    Otherwise every full collection walks the whole application again: 50-120 ms, once every few
    pages of 1000 Open311 requests. Frozen, the same collections take under 4 ms.
    """
    from seeclick.warmup import warm

    warm(worker.wsgi, alive=worker.notify)
    gc.freeze()
