"""Reads for the home page."""

from dataclasses import dataclass

from sqlalchemy import text

from seeclick.extensions import db
from seeclick.publicmap import tiles


@dataclass(frozen=True)
class CitySummary:
    neighbourhoods: int
    departments: int
    categories: int
    open_reports: int
    closed_reports: int


# The report counts come from the public map's rollup (migrations 0009 and 0021), not from the reports:
# map_total counts every report (hidden ones too) per cell at each level, four ways, and map_delta the changes
# since the worker last folded them in, written in the same transaction as the change. Summed over the
# coarsest level for all categories and departments, the two are the count of the reports themselves
# in any snapshot, for under a thousand rows instead of millions. The rest are a few hundred rows.
_COUNTS = text("""
    SELECT (SELECT count(*) FROM neighbourhood), (SELECT count(*) FROM department),
           (SELECT count(*) FROM category WHERE active),
           (SELECT coalesce(sum(n) FILTER (WHERE is_open), 0) FROM map_total
            WHERE level = :level AND category_id = 0 AND department_id = 0)
             + (SELECT coalesce(sum(n) FILTER (WHERE is_open), 0) FROM map_delta),
           (SELECT coalesce(sum(n) FILTER (WHERE NOT is_open), 0) FROM map_total
            WHERE level = :level AND category_id = 0 AND department_id = 0)
             + (SELECT coalesce(sum(n) FILTER (WHERE NOT is_open), 0) FROM map_delta)
""")


def city_summary() -> CitySummary:
    """Counts for the home page, as of now."""
    return CitySummary(*db.session.execute(_COUNTS, {"level": tiles.ROLLUP_LEVELS[0]}).one())
