"""Reads for the home page."""

from dataclasses import dataclass

from sqlalchemy import func, select

from seeclick.caching import Kept
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.reports.models import Report


@dataclass(frozen=True)
class CitySummary:
    neighbourhoods: int
    departments: int
    categories: int
    open_reports: int
    closed_reports: int


# Counting millions of rows is not free: the home page's counts are at most half a minute old.
_summaries: Kept[CitySummary] = Kept("the home page's counts, by database", seconds=30)


def city_summary() -> CitySummary:
    """Counts for the home page, at most half a minute old."""
    return _summaries.get(db.engine.url.render_as_string(), lambda: CitySummary(*db.session.execute(
        select(
            select(func.count()).select_from(Neighbourhood).scalar_subquery(),
            select(func.count()).select_from(Department).scalar_subquery(),
            select(func.count()).select_from(Category).where(Category.active).scalar_subquery(),
            select(func.count()).select_from(Report).where(Report.closed_at.is_(None)).scalar_subquery(),
            select(func.count()).select_from(Report).where(Report.closed_at.is_not(None)).scalar_subquery(),
        )
    ).one()))
