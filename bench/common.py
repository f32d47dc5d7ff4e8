"""What the benchmarks share: a percentile, and the statements a request sends (its SQL floor)."""

import sys

from sqlalchemy import event


def percentile(values, q):
    """The q-th quantile of the values, by rank (no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def capture(engine, client, url, form=None, expect=200):
    """GET `url` through the test client (or POST the urlencoded `form`): its response and the (statement,
    parameters) it sent, in order."""
    sent = []

    def before(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        response = (client.get(url) if form is None else
                    client.post(url, data=form, content_type="application/x-www-form-urlencoded"))
    finally:
        event.remove(engine, "before_cursor_execute", before)
    if response.status_code != expect:
        sys.exit(f"{url}: {response.status_code} {response.data[:300]!r}")
    return response, sent
