"""Neighbourhoods: every outline for the city's maps; a neighbourhood's outline and what is open there now."""

import json
from datetime import datetime

from sqlalchemy import func, select, text

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


def _newest_open(neighbourhood: Neighbourhood, limit: int):
    return (select(Report.public_id, Report.created_at, Report.due_at, Report.location, Report.category_id)
            .where(Report.neighbourhood_id == neighbourhood.id, Report.closed_at.is_(None),
                   Report.hidden_reason.is_(None))
            .order_by(Report.created_at.desc()).limit(limit))


def open_reports(neighbourhood: Neighbourhood, limit: int) -> list:
    """Its newest open reports, newest first: (public_id, created_at, due_at, category)."""
    newest = _newest_open(neighbourhood, limit).subquery()
    return db.session.execute(
        select(newest.c.public_id, newest.c.created_at, newest.c.due_at, Category.name.label("category"))
        .join(Category, Category.id == newest.c.category_id).order_by(newest.c.created_at.desc())).all()


# Each open report as a GeoJSON feature, written by PostgreSQL as json.dumps(sort_keys=True) would write it:
# by joining text, twice as fast as json_build_object (which looks up how to write each value, each time).
_FEATURE = """'{"geometry": {"coordinates": [' || ST_X(r.location) || ', ' || ST_Y(r.location) || '], '
    || '"type": "Point"}, "properties": {"category": ' || to_json(c.name) || ', "id": ' || to_json('#' || r.public_id)
    || ', "overdue": ' || coalesce(r.due_at < :now, false) || ', "url": ' || to_json(:link || r.public_id)
    || '}, "type": "Feature"}'"""
_OPEN_ON_MAP = text(f"""
    SELECT (SELECT count(*) FROM report WHERE neighbourhood_id = :id AND closed_at IS NULL AND hidden_reason IS NULL),
           count(*),
           '{{"features": [' || coalesce(string_agg({_FEATURE}, ', ' ORDER BY r.created_at DESC), '')
               || '], "type": "FeatureCollection"}}'
    FROM (SELECT public_id, created_at, due_at, location, category_id FROM report
          WHERE neighbourhood_id = :id AND closed_at IS NULL AND hidden_reason IS NULL
          ORDER BY created_at DESC LIMIT :limit) r
    JOIN category c ON c.id = r.category_id""")


def open_on_map(neighbourhood: Neighbourhood, link: str, now: datetime,
                limit: int = OPEN_ON_MAP) -> tuple[int, int, str]:
    """How many reports are open here, how many of them are on its map (the newest `limit`), and those as
    GeoJSON text, newest first: each a point with its number, category, whether it is overdue at `now` and
    its page (`link` and its number). A moderator's hidden reports are neither shown nor counted.

    PostgreSQL writes the collection (8 ms for a thousand reports at 5M): read into Python, made into dicts
    and written as JSON again, they took 25 ms, a third of the page's time.
    """
    return tuple(db.session.execute(_OPEN_ON_MAP, {"id": neighbourhood.id, "link": link, "now": now,
                                                   "limit": limit}).one())


def names() -> list[tuple[str, str]]:
    """Every neighbourhood's (code, name), by name."""
    return [tuple(row) for row in db.session.execute(
        select(Neighbourhood.code, Neighbourhood.name).order_by(Neighbourhood.name))]
