"""Statements on the session's own connection through the DBAPI cursor, for the hottest paths only.

SQLAlchemy's set-up of a statement and its result costs more than a small indexed statement
itself (bench/routing.py, bench/submission.py); where that matters, the SQL is plain DBAPI
(pyformat) text run here, in the session's transaction, seeing what the session has written.

Such a statement is still announced to SQLAlchemy's `before_cursor_execute` and
`after_cursor_execute` listeners of the engine (a query counter, a profiler) and to its echo, so
it is never invisible; with no listener the cost is one check. It reads from the replica where the
request may (seeclick/replicas.py); statements that write go to the primary.

Nothing here outlives the statement's transaction: psycopg2 never prepares statements on the server,
so this runs as well through a pooler in transaction mode (PgBouncer).
"""

from seeclick.extensions import db


def rows(statement: str, parameters: dict) -> list[tuple]:
    """Every row the statement returns (none for a statement without RETURNING)."""
    db.session.flush()  # the cursor must see this session's pending changes, as a query would
    connection = db.session.connection(bind_arguments={"sql": statement})  # the primary, or a replica (replicas.py)
    cursor = connection.connection.cursor()
    try:
        listened = bool(connection.dispatch.before_cursor_execute or connection.dispatch.after_cursor_execute)
        if listened:
            connection.dispatch.before_cursor_execute(connection, cursor, statement, parameters, None, False)
        if connection.engine.echo:
            connection.engine.logger.info("%s [raw cursor] %r", statement, parameters)
        cursor.execute(statement, parameters)
        found = cursor.fetchall() if cursor.description else []
        if listened:
            connection.dispatch.after_cursor_execute(connection, cursor, statement, parameters, None, False)
        return found
    finally:
        cursor.close()


def one(statement: str, parameters: dict) -> tuple | None:
    """The first row, or None."""
    found = rows(statement, parameters)
    return found[0] if found else None
