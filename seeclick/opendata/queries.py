"""Open data: every report's public facts and lifecycle times, streamed; never the reporter's details."""

from datetime import datetime

from sqlalchemy import select, text

from seeclick.extensions import db

# The only columns that ever leave: the report's public facts and its lifecycle times. A report a
# moderator took from the public stays (it counts in every figure) with the reason instead of its place.
PUBLIC = """
    SELECT r.public_id, c.code AS category_code, c.name AS category, d.code AS department_code,
           d.name AS department, n.code AS neighbourhood_code, n.name AS neighbourhood, r.status::text AS status,
           CASE WHEN r.closed_at IS NULL THEN 'open' ELSE 'closed' END AS state, r.channel::text AS channel,
           r.created_at, r.acknowledged_at, r.closed_at, r.due_at,
           round((extract(epoch FROM r.acknowledged_at - r.created_at) / 3600)::numeric, 2) AS hours_to_acknowledge,
           round((extract(epoch FROM r.closed_at - r.created_at) / 3600)::numeric, 2) AS hours_to_close,
           r.hidden_reason::text AS removed_by_moderator,
           CASE WHEN r.hidden_reason IS NULL THEN round(ST_Y(r.location)::numeric, 6) END AS lat,
           CASE WHEN r.hidden_reason IS NULL THEN round(ST_X(r.location)::numeric, 6) END AS lon
    FROM report r
    JOIN category c ON c.id = r.category_id
    JOIN department d ON d.id = r.department_id
    LEFT JOIN neighbourhood n ON n.id = r.neighbourhood_id
"""

FIELDS = ["public_id", "category_code", "category", "department_code", "department", "neighbourhood_code",
          "neighbourhood", "status", "state", "channel", "created_at", "acknowledged_at", "closed_at", "due_at",
          "hours_to_acknowledge", "hours_to_close", "removed_by_moderator", "lat", "lon"]

FILTERS = {"neighbourhood": "n.code", "department": "d.code", "category": "c.code"}


def reports(chosen: dict[str, str], since: datetime | None, until: datetime | None, batch: int = 5000):
    """Rows of the reports matching the filters, oldest first, fetched in batches from a server-side cursor.

    The statement runs here, not when the rows are first read: a response streamed from it starts only
    once the database has taken it, so a failure to start is an error status, never a 200 cut short.
    """
    where, params = [], {}
    for name, column in FILTERS.items():
        if chosen.get(name):
            where.append(f"{column} = :{name}")
            params[name] = chosen[name]
    if since:
        where.append("r.created_at >= :since")
        params["since"] = since
    if until:
        where.append("r.created_at < :until")
        params["until"] = until
    sql = PUBLIC + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.created_at, r.id"
    # A server-side cursor for this statement only: rows arrive in batches, never the city at once.
    return db.session.execute(text(sql), params, execution_options={"stream_results": True, "yield_per": batch})


def latest(chosen: dict[str, str], limit: int = 50) -> list:
    """The newest public reports of a neighbourhood, department or category, for its Atom feed."""
    name, value = next(iter(chosen.items()))
    return db.session.execute(text(PUBLIC + f" WHERE {FILTERS[name]} = :value AND r.hidden_reason IS NULL "
                                            "ORDER BY r.created_at DESC, r.id DESC "
                                            "LIMIT :limit"), {"value": value, "limit": limit}).all()


def group(model, code: str):
    """The neighbourhood, department or category (`model`) with this code, for its feed."""
    return db.session.scalar(select(model).where(model.code == code))
