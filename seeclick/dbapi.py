"""Statements on the session's own connection through the DBAPI cursor, for the hottest paths only.

SQLAlchemy's set-up of a statement and its result costs more than a small indexed statement
itself (bench/routing.py, bench/submission.py); where that matters, the SQL is plain DBAPI
(pyformat) text run here, in the session's transaction, seeing what the session has written.
"""

from seeclick.extensions import db


def rows(statement: str, parameters: dict) -> list[tuple]:
    """Every row the statement returns (none for a statement without RETURNING)."""
    db.session.flush()  # the cursor must see this session's pending changes, as a query would
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(statement, parameters)
        return cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()


def one(statement: str, parameters: dict) -> tuple | None:
    """The first row, or None."""
    found = rows(statement, parameters)
    return found[0] if found else None
