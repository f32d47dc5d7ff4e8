"""The public map's vector tiles, made by PostGIS (ST_AsMVT), and the counts beside the map.

Zoomed out (to zoom 14), a tile holds counts per cell, summed from map_total, or from map_cell when
months are chosen (migrations 0009, 0020 and 0021), never the reports. Zoomed in a little, the few
thousand reports of a tile are counted into cells directly. At street level each report is a point
of its own, with what its popup shows: nothing private, and no report a moderator took from the
public (the counts, like the statistics, still hold them).
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text

from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.publicmap import tiles

EXTENT = 4096  # the tile's own coordinates, as every MVT client expects
POINTS_PER_TILE = 3000  # the newest first; a street-level tile rarely holds as many
HALF_WORLD = 20037508.342789244  # metres from the Web-Mercator origin to the edge


@dataclass(frozen=True)
class MapFilter:
    """What the map shows: all reports, or those of a category, department, status and months."""

    category_id: int | None = None
    department_id: int | None = None
    status: str = "open"  # "open", "closed" or "all"
    since: date | None = None  # the first day of the first month shown
    until: date | None = None  # the first day of the last month shown

    def report_conditions(self) -> tuple[list[str], dict]:
        """SQL conditions on `report r` and their parameters."""
        where, params = [], {}
        if self.category_id:
            where.append("r.category_id = :category_id")
            params["category_id"] = self.category_id
        if self.department_id:
            where.append("r.department_id = :department_id")
            params["department_id"] = self.department_id
        if self.status == "open":
            where.append("r.closed_at IS NULL")
        elif self.status == "closed":
            where.append("r.closed_at IS NOT NULL")
        if self.since:
            where.append("r.created_at >= (:since)::timestamp AT TIME ZONE 'UTC'")
            params["since"] = self.since
        if self.until:
            where.append("r.created_at < ((:until)::timestamp + interval '1 month') AT TIME ZONE 'UTC'")
            params["until"] = self.until
        return where, params

    @property
    def counts(self) -> str:
        """The table of counts that answers this filter: by month when months are chosen, else over all of them."""
        return "map_cell" if self.since or self.until else "map_total"

    def cell_conditions(self) -> tuple[list[str], dict]:
        """SQL conditions on `m`, a row of the table `counts` names (always one of its four ways of counting)."""
        where = ["m.category_id = :category_id", "m.department_id = :department_id"]
        params = {"category_id": self.category_id or 0, "department_id": self.department_id or 0}
        if self.status in ("open", "closed"):
            where.append("m.is_open = :is_open")
            params["is_open"] = self.status == "open"
        if self.since:
            where.append("m.month >= :since")
            params["since"] = self.since
        if self.until:
            where.append("m.month <= :until")
            params["until"] = self.until
        return where, params


def _envelope(z, x, y) -> dict:
    west, south, east, north = tiles.bounds(z, x, y)
    return {"west": west, "south": south, "east": east, "north": north, "z": z, "x": x, "y": y}


def _cell_centre(level: int) -> str:
    """SQL for the Web-Mercator point at the centre of cell (c.x, c.y) of `level`."""
    size = 2 * HALF_WORLD / (1 << level)
    return (f"ST_SetSRID(ST_MakePoint({-HALF_WORLD!r} + (c.x + 0.5) * {size!r}, "
            f"{HALF_WORLD!r} - (c.y + 0.5) * {size!r}), 3857)")


def _cells_mvt(counted: str) -> str:
    return (f"WITH c AS ({counted}) SELECT ST_AsMVT(t, 'cells', {EXTENT}, 'geom') FROM ("
            "SELECT c.total::int AS n, c.open::int AS open, "
            "ST_AsMVTGeom({centre}, ST_TileEnvelope(:z, :x, :y), " + str(EXTENT) + ", 0) AS geom FROM c) t")


def cells_from_rollup(z, x, y, level, f: MapFilter) -> tuple[str, dict]:
    where, params = f.cell_conditions()
    x0, x1, y0, y1 = tiles.cell_range(z, x, y, level)
    counted = ("SELECT m.x, m.y, sum(m.n) AS total, coalesce(sum(m.n) FILTER (WHERE m.is_open), 0) AS open "
               f"FROM {f.counts} m WHERE m.level = :level AND m.x BETWEEN :x0 AND :x1 AND m.y BETWEEN :y0 AND :y1 AND "
               + " AND ".join(where) + " GROUP BY m.x, m.y HAVING sum(m.n) > 0")
    sql = _cells_mvt(counted).replace("{centre}", _cell_centre(level))
    return sql, {**params, "level": level, "x0": x0, "x1": x1, "y0": y0, "y1": y1, "z": z, "x": x, "y": y}


def cells_from_reports(z, x, y, level, f: MapFilter) -> tuple[str, dict]:
    """Count a tile's reports into cells: one range of report.map_key, read from its index alone."""
    where, params = f.report_conditions()
    low, high = tiles.key_range(z, x, y)
    counted = (
        "SELECT map_bits_compact(k.cell) AS x, map_bits_compact(k.cell >> 1) AS y, k.total, k.open FROM ("
        "SELECT r.map_key >> :shift AS cell, count(*) AS total, count(*) FILTER (WHERE r.closed_at IS NULL) AS open "
        "FROM report r WHERE r.map_key >= :low AND r.map_key < :high"
        + "".join(f" AND {w}" for w in where)
        + " GROUP BY 1) k")
    sql = _cells_mvt(counted).replace("{centre}", _cell_centre(level))
    return sql, {**params, "shift": 2 * (tiles.KEY_LEVEL - level), "low": low, "high": high, "z": z, "x": x, "y": y}


def points(z, x, y, f: MapFilter) -> tuple[str, dict]:
    where, params = f.report_conditions()
    sql = (
        f"SELECT ST_AsMVT(t, 'reports', {EXTENT}, 'geom') FROM ("
        "SELECT r.public_id AS id, r.status::text AS status, r.closed_at IS NULL AS open, c.name AS category, "
        "to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS created, "
        f"ST_AsMVTGeom(ST_Transform(r.location, 3857), ST_TileEnvelope(:z, :x, :y), {EXTENT}, 16) AS geom "
        "FROM report r JOIN category c ON c.id = r.category_id "
        "WHERE r.location && ST_MakeEnvelope(:west, :south, :east, :north, 4326) AND r.hidden_reason IS NULL"
        + "".join(f" AND {w}" for w in where)
        + f" ORDER BY r.created_at DESC LIMIT {POINTS_PER_TILE}) t WHERE t.geom IS NOT NULL")
    return sql, {**params, **_envelope(z, x, y)}


def tile_sql(z: int, x: int, y: int, f: MapFilter) -> tuple[str, dict]:
    """The one statement that makes tile (z, x, y) under filter `f`, and its parameters."""
    plan = tiles.plan(z)
    if plan.kind == "points":
        return points(z, x, y, f)
    if plan.source == "rollup":
        return cells_from_rollup(z, x, y, plan.level, f)
    return cells_from_reports(z, x, y, plan.level, f)


def tile(z: int, x: int, y: int, f: MapFilter) -> bytes:
    sql, params = tile_sql(z, x, y, f)
    return bytes(db.session.execute(text(sql), params).scalar() or b"")


def totals(f: MapFilter) -> tuple[int, int]:
    """(reports, open) matching the filter, city-wide, from the coarsest cells."""
    where, params = f.cell_conditions()
    row = db.session.execute(text(
        f"SELECT coalesce(sum(m.n), 0), coalesce(sum(m.n) FILTER (WHERE m.is_open), 0) FROM {f.counts} m "
        "WHERE m.level = :level AND " + " AND ".join(where)), {**params, "level": tiles.ROLLUP_LEVELS[0]}).one()
    return int(row[0]), int(row[1])


def fold() -> int:
    """Move pending report changes into the counts; the number of changed groups moved."""
    return db.session.execute(text("SELECT map_fold()")).scalar()


@contextmanager
def paused(cursor):
    """Report inserts inside are not recorded for the map, for a bulk load that calls rebuild() afterwards.

    Disabling the trigger locks the report table until the transaction ends; a bulk load holds it anyway.
    """
    cursor.execute("ALTER TABLE report DISABLE TRIGGER map_delta_insert_delete")
    try:
        yield
    finally:
        cursor.execute("ALTER TABLE report ENABLE TRIGGER map_delta_insert_delete")


def rebuild() -> int:
    """Count every report again (after a bulk load); the number of count rows."""
    return db.session.execute(text("SELECT map_rebuild()")).scalar()


def category_id(code: str) -> int | None:
    return db.session.scalar(select(Category.id).where(Category.code == code))


def department_id(code: str) -> int | None:
    return db.session.scalar(select(Department.id).where(Department.code == code))


def choices() -> tuple[tuple, tuple]:
    """The categories and departments a visitor can filter by, by name: (id, code, name) as plain tuples, which
    compare ten times faster than rows (the page keeps its options by them)."""
    categories = db.session.execute(select(Category.id, Category.code, Category.name).order_by(Category.name))
    departments = db.session.execute(
        select(Department.id, Department.code, Department.name).order_by(Department.name))
    return tuple(map(tuple, categories)), tuple(map(tuple, departments))
