"""Open data: every report's public facts and lifecycle times, streamed; never the reporter's details."""

import secrets
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, select, text

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

# The exports are written by PostgreSQL, a line (CSV) or a feature (GeoJSON) a row, so that Python only joins
# them: formatting each value in Python held a 5-million-row export at 34k rows a second. The text is the
# same as Python's csv and json modules wrote it: moments as ISO 8601 in UTC ("2026-12-02T09:05:00Z", the
# microseconds when there are any), decimals without trailing zeros ("30.5", "2.0"), a text quoted only
# when it holds a comma, a quote or a line break.


def _moment(column: str) -> str:
    """A moment as Python's isoformat() writes it in UTC, "Z" for "+00:00", microseconds only when there are any."""
    return f"""replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')"""


def _quoted(column: str) -> str:
    return (f"""CASE WHEN {column} ~ '[",\\r\\n]' THEN '"' || replace({column}, '"', '""') || '"' """
            f"ELSE coalesce({column}, '') END")


HOURS_TO_ACKNOWLEDGE = "round((extract(epoch FROM r.acknowledged_at - r.created_at) / 3600)::numeric, 2)"
HOURS_TO_CLOSE = "round((extract(epoch FROM r.closed_at - r.created_at) / 3600)::numeric, 2)"
LAT, LON = "round(ST_Y(r.location)::numeric, 6)", "round(ST_X(r.location)::numeric, 6)"

# The line's last five values: the hours (2 places), the moderator's reason and the point (6 places), a
# numeric's zeros trimmed as Python prints it as a float ("2.00" is "2.0", "40.678200" is "40.6782"): trimmed
# once, and a "." left bare by the trimming given back its 0 in the five at once (none of them holds a comma).
_DECIMALS = f"""left(replace(concat(
    rtrim(({HOURS_TO_ACKNOWLEDGE})::text, '0'), ',', rtrim(({HOURS_TO_CLOSE})::text, '0'), ',', r.hidden_reason, ',',
    CASE WHEN r.hidden_reason IS NULL THEN rtrim(({LAT})::text, '0') || ',' || rtrim(({LON})::text, '0') ELSE ',' END,
    ','), '.,', '.0,'), -1)"""

# Categories, departments and neighbourhoods are a few hundred rows: their code and name are quoted once each.
_GROUPS = "WITH " + ", ".join(
    f"{alias} AS MATERIALIZED (SELECT id, code, {_quoted('code')} || ',' || {_quoted('name')} AS csv, name "
    f"FROM {table})" for alias, table in (("c", "category"), ("d", "department"), ("n", "neighbourhood")))

_FROM = """
    FROM report r
    JOIN c ON c.id = r.category_id
    JOIN d ON d.id = r.department_id
    LEFT JOIN n ON n.id = r.neighbourhood_id
"""

CSV_LINE = _GROUPS + f"""
    SELECT concat(r.public_id, ',', c.csv, ',', d.csv, ',', coalesce(n.csv, ','), ',', r.status, ',',
                  CASE WHEN r.closed_at IS NULL THEN 'open' ELSE 'closed' END, ',', r.channel, ',',
                  {_moment('r.created_at')}, ',', {_moment('r.acknowledged_at')}, ',',
                  {_moment('r.closed_at')}, ',', {_moment('r.due_at')}, ',',
                  {_DECIMALS})
""" + _FROM

# A report a moderator took from the public has no place here (RFC 7946: an unlocated feature).
GEOJSON_FEATURE = _GROUPS + f"""
    SELECT ',' || json_build_object(
        'type', 'Feature',
        'properties', json_build_object(
            'public_id', r.public_id, 'category_code', c.code, 'category', c.name, 'department_code', d.code,
            'department', d.name, 'neighbourhood_code', n.code, 'neighbourhood', n.name, 'status', r.status,
            'state', CASE WHEN r.closed_at IS NULL THEN 'open' ELSE 'closed' END, 'channel', r.channel,
            'created_at', {_moment('r.created_at')}, 'acknowledged_at', {_moment('r.acknowledged_at')},
            'closed_at', {_moment('r.closed_at')}, 'due_at', {_moment('r.due_at')},
            'hours_to_acknowledge', {HOURS_TO_ACKNOWLEDGE}::float8, 'hours_to_close', {HOURS_TO_CLOSE}::float8,
            'removed_by_moderator', r.hidden_reason),
        'geometry', CASE WHEN r.hidden_reason IS NULL THEN json_build_object(
            'type', 'Point', 'coordinates', json_build_array({LON}::float8, {LAT}::float8)) END)::text
""" + _FROM


def _where(chosen: dict[str, str], since: datetime | None, until: datetime | None) -> tuple[str, dict]:
    where, params = [], {}
    for name, column in FILTERS.items():
        if chosen.get(name):
            where.append(f"{column} = %({name})s")
            params[name] = chosen[name]
    if since:
        where.append("r.created_at >= %(since)s")
        params["since"] = since
    if until:
        where.append("r.created_at < %(until)s")
        params["until"] = until
    return (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.created_at, r.id", params


def csv_lines(chosen: dict[str, str], since: datetime | None, until: datetime | None) -> "Batches":
    """The CSV lines (without their line ends) of the reports matching the filters, oldest first, in batches."""
    where, params = _where(chosen, since, until)
    return Batches(CSV_LINE + where, params)


def geojson_features(chosen: dict[str, str], since: datetime | None, until: datetime | None) -> "Batches":
    """The same reports as GeoJSON features, each preceded by a comma, in batches."""
    where, params = _where(chosen, since, until)
    return Batches(GEOJSON_FEATURE + where, params)


class Batches:
    """Lists of the one text column a statement returns, read from a server-side cursor; close() when done.

    The connection is the export's, not the request's session's: the response outlives the request (its
    session is closed before the first batch is sent) and runs for as long as the client takes to read it,
    a worker timeout included. The statement runs, and its first batch is read, on creation: a response
    streamed from it starts only once the database has answered, so a failure to start is an error status,
    never a 200 cut short. (In the tests the session is bound to one connection, whose transaction this shares.)
    """

    def __init__(self, statement: str, params: dict, batch: int = 5000):
        bind = db.session.get_bind()
        self._bind, self._batch = bind, batch
        self._connection = connection = bind.connect() if isinstance(bind, Engine) else bind
        self._cursor = None
        try:
            self._cursor = connection.connection.cursor(name=f"export_{secrets.token_hex(4)}")
            listened = bool(connection.dispatch.before_cursor_execute or connection.dispatch.after_cursor_execute)
            if listened:
                connection.dispatch.before_cursor_execute(connection, self._cursor, statement, params, None, False)
            self._cursor.execute(statement, params)
            self._rows = self._cursor.fetchmany(batch)
            if listened:
                connection.dispatch.after_cursor_execute(connection, self._cursor, statement, params, None, False)
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> Iterator[list[str]]:
        while self._rows:
            yield [row[0] for row in self._rows]
            self._rows = self._cursor.fetchmany(self._batch)
        self.close()

    def close(self) -> None:
        """End the statement and give its connection back (at the end, or when the client has gone)."""
        cursor, self._cursor, self._rows = self._cursor, None, []
        try:
            if cursor is not None and not cursor.closed:
                cursor.close()
        finally:
            if self._connection is not self._bind:
                self._connection.close()


def latest(chosen: dict[str, str], limit: int = 50) -> list:
    """The newest public reports of a neighbourhood, department or category, for its Atom feed."""
    name, value = next(iter(chosen.items()))
    return db.session.execute(text(PUBLIC + f" WHERE {FILTERS[name]} = :value AND r.hidden_reason IS NULL "
                                            "ORDER BY r.created_at DESC, r.id DESC "
                                            "LIMIT :limit"), {"value": value, "limit": limit}).all()


def group(model, code: str):
    """The neighbourhood, department or category (`model`) with this code, for its feed."""
    return db.session.scalar(select(model).where(model.code == code))
