"""Reads of categories: by code, and a category's version with the category and its questions at that version."""

from sqlalchemy import select

from seeclick.categories.models import Category
from seeclick.extensions import db


def by_code(code: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.code == code))


# A category's version: a digest of its row and its questions' rows, whole (every column, so a
# column added later counts too). Any committed change to either gives another version. Also read
# by the statement that routes a new report (reports.queries.NEW_REPORT_AT).
CATEGORY_VERSION = """
    md5(c::text || coalesce((SELECT string_agg(q::text, ',' ORDER BY q.position, q.id)
                             FROM category_question q WHERE q.category_id = c.id), ''))
"""

# Plain DBAPI (pyformat) SQL, run by categories.versions on the session's own connection.
CATEGORY_WITH_VERSION = f"""
    SELECT row_to_json(c),
           coalesce((SELECT json_agg(row_to_json(q) ORDER BY q.position, q.id)
                     FROM category_question q WHERE q.category_id = c.id), '[]'),
           {CATEGORY_VERSION}
    FROM category c WHERE c.id = %(category_id)s
"""
