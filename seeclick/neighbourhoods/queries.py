"""Neighbourhoods: every outline for the city's maps; a neighbourhood's outline and what is open there now."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from seeclick.caching import Kept
from seeclick.extensions import db
from seeclick.neighbourhoods.models import Neighbourhood

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


_outline: Kept[str] = Kept("a neighbourhood's outline, by database and neighbourhood", seconds=OUTLINES_SECONDS)


def outline(neighbourhood: Neighbourhood) -> dict:
    """A neighbourhood as a GeoJSON FeatureCollection of its one outline, simplified to about 10 m; the
    geometry kept for OUTLINES_SECONDS, like every outline's."""
    geometry = _outline.get((db.engine.url.render_as_string(), neighbourhood.id), lambda: db.session.scalar(
        select(func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(Neighbourhood.geom, 0.0001), 5))
        .where(Neighbourhood.id == neighbourhood.id)))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": neighbourhood.name}, "geometry": json.loads(geometry)}]}


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
               || '], "type": "FeatureCollection"}}',
           coalesce(json_agg(json_build_array(r.public_id, c.name, r.created_at, r.due_at) ORDER BY r.created_at DESC)
                    FILTER (WHERE r.newest <= :listed), '[]')::text
    FROM (SELECT public_id, created_at, due_at, location, category_id,
                 row_number() OVER (ORDER BY created_at DESC) AS newest
          FROM report
          WHERE neighbourhood_id = :id AND closed_at IS NULL AND hidden_reason IS NULL
          ORDER BY created_at DESC LIMIT :limit) r
    JOIN category c ON c.id = r.category_id""")


@dataclass(frozen=True, slots=True)
class Listed:
    """An open report as a neighbourhood's page lists it."""

    public_id: str
    category: str
    created_at: datetime
    due_at: datetime | None


def open_on_map(neighbourhood: Neighbourhood, link: str, now: datetime, limit: int = OPEN_ON_MAP,
                listed: int = 0) -> tuple[int, int, str, list[Listed]]:
    """How many reports are open here, how many of them are on its map (the newest `limit`), those as GeoJSON
    text, newest first, and the newest `listed` of those (`Listed`), from the same scan. Each point has its
    number, category, whether it is overdue at `now` and its page (`link` and its number). A moderator's hidden
    reports are neither shown nor counted.

    PostgreSQL writes the collection (8 ms for a thousand reports at 5M): read into Python, made into dicts
    and written as JSON again, they took 25 ms, a third of the page's time.
    """
    open_here, drawn, points, newest = db.session.execute(
        _OPEN_ON_MAP, {"id": neighbourhood.id, "link": link, "now": now, "limit": limit, "listed": listed}).one()
    return open_here, drawn, points, [
        Listed(public_id, category, datetime.fromisoformat(created), due and datetime.fromisoformat(due))
        for public_id, category, created, due in json.loads(newest)]


def names() -> list[tuple[str, str]]:
    """Every neighbourhood's (code, name), by name."""
    return [tuple(row) for row in db.session.execute(
        select(Neighbourhood.code, Neighbourhood.name).order_by(Neighbourhood.name))]
