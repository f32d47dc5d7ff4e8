"""Neighbourhoods: every outline for the city's maps; a neighbourhood's outline and what is open there now."""

import json

from sqlalchemy import func, select

from seeclick.caching import Kept
from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.reports.models import Report

OPEN_ON_MAP = 1000  # the newest open reports drawn on its map; the list and counts say how many in all


# Simplified outlines are a few hundred KB to compute and change only when boundaries are
# re-imported; keep one copy per process and look again after a while.
OUTLINES_SECONDS = 300
_outlines: Kept[dict] = Kept("every neighbourhood's outline, by database and tolerance", seconds=OUTLINES_SECONDS)


def outlines(tolerance: float = 0.0004) -> dict:
    """Every neighbourhood as a light GeoJSON FeatureCollection: about 40 m simplification (under a
    pixel at city zoom), 10 m precision."""
    def build():
        rows = db.session.execute(select(
            Neighbourhood.code, Neighbourhood.name,
            func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(Neighbourhood.geom, tolerance), 4),
        ).order_by(Neighbourhood.code))
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": json.loads(geometry)}
            for code, name, geometry in rows]}

    return _outlines.get((db.engine.url.render_as_string(), tolerance), build)


def by_code(code: str) -> Neighbourhood | None:
    """The neighbourhood without its boundary (outline() draws that, simplified)."""
    return db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == code))


def outline(neighbourhood: Neighbourhood) -> dict:
    geometry = db.session.scalar(select(func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(Neighbourhood.geom,
                                                                                            0.0001), 5))
                                 .where(Neighbourhood.id == neighbourhood.id))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": neighbourhood.name}, "geometry": json.loads(geometry)}]}


def open_reports(neighbourhood: Neighbourhood, limit: int = OPEN_ON_MAP) -> list:
    return db.session.execute(
        select(Report.public_id, Report.created_at, Report.due_at, Category.name.label("category"),
               func.ST_Y(Report.location).label("lat"), func.ST_X(Report.location).label("lon"))
        .join(Category, Category.id == Report.category_id)
        .where(Report.neighbourhood_id == neighbourhood.id, Report.closed_at.is_(None), Report.hidden_reason.is_(None))
        .order_by(Report.created_at.desc()).limit(limit)).all()


def open_count(neighbourhood: Neighbourhood) -> int:
    """Its open reports as the public sees them (a moderator's hidden ones are not shown, so not counted)."""
    return db.session.scalar(select(func.count()).where(Report.neighbourhood_id == neighbourhood.id,
                                                        Report.closed_at.is_(None), Report.hidden_reason.is_(None)))


def names() -> list[tuple[str, str]]:
    """Every neighbourhood's (code, name), by name."""
    return [tuple(row) for row in db.session.execute(
        select(Neighbourhood.code, Neighbourhood.name).order_by(Neighbourhood.name))]
