"""Reads for the home page."""

import json
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from seeclick.extensions import db
from seeclick.models import Category, Department, Neighbourhood, Report

# Simplified outlines are a few hundred KB to compute and change only when boundaries are
# re-imported; keep one copy per process and look again after a while.
_OUTLINE_TTL = 300
_outlines: dict = {}


@dataclass(frozen=True)
class CitySummary:
    neighbourhoods: int
    departments: int
    categories: int
    open_reports: int
    closed_reports: int


_SUMMARY_TTL = 30
_summaries: dict = {}


def city_summary() -> CitySummary:
    """Counts for the home page, at most half a minute old (counting millions of rows is not free)."""
    key = db.engine.url.render_as_string()
    cached = _summaries.get(key)
    if cached and time.monotonic() - cached[0] < _SUMMARY_TTL:
        return cached[1]
    counts = db.session.execute(
        select(
            select(func.count()).select_from(Neighbourhood).scalar_subquery(),
            select(func.count()).select_from(Department).scalar_subquery(),
            select(func.count()).select_from(Category).where(Category.active).scalar_subquery(),
            select(func.count()).select_from(Report).where(Report.closed_at.is_(None)).scalar_subquery(),
            select(func.count()).select_from(Report).where(Report.closed_at.is_not(None)).scalar_subquery(),
        )
    ).one()
    summary = CitySummary(*counts)
    _summaries[key] = (time.monotonic(), summary)
    return summary


def neighbourhood_outlines(tolerance: float = 0.0004) -> dict:
    """Every neighbourhood as a light GeoJSON FeatureCollection: about 40 m simplification (under a
    pixel at city zoom), 10 m precision."""
    key = (db.engine.url.render_as_string(), tolerance)
    cached = _outlines.get(key)
    if cached and time.monotonic() - cached[0] < _OUTLINE_TTL:
        return cached[1]
    rows = db.session.execute(
        select(
            Neighbourhood.code,
            Neighbourhood.name,
            func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(Neighbourhood.geom, tolerance), 4),
        ).order_by(Neighbourhood.code)
    )
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": json.loads(geometry)}
            for code, name, geometry in rows
        ],
    }
    _outlines[key] = (time.monotonic(), collection)
    return collection


