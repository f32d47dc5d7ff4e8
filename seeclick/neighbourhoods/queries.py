"""A neighbourhood's page: its outline, what is open there now, and what is reported most."""

import json

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from seeclick.extensions import db
from seeclick.models import Category, Neighbourhood, Report

OPEN_ON_MAP = 1000  # the newest open reports drawn on its map; the list and counts say how many in all


def by_code(code: str) -> Neighbourhood | None:
    """The neighbourhood without its boundary (outline() draws that, simplified)."""
    return db.session.scalar(select(Neighbourhood).options(defer(Neighbourhood.geom))
                             .where(Neighbourhood.code == code))


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
        .where(Report.neighbourhood_id == neighbourhood.id, Report.closed_at.is_(None))
        .order_by(Report.created_at.desc()).limit(limit)).all()


def open_count(neighbourhood: Neighbourhood) -> int:
    return db.session.scalar(select(func.count()).where(Report.neighbourhood_id == neighbourhood.id,
                                                        Report.closed_at.is_(None)))
