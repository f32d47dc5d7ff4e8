"""The public map's counts over all months too (map_total), so a map without a date filter sums one row a cell.

map_cell counts reports per cell and month, so a tile of the whole city with no months chosen, the
map as nearly everyone sees it, sums one row for every month a cell has had reports in: a cost that
grows with the city's history (13 months in the benchmark database, 84 in seven years of New York).
map_total holds the same counts with the months added up, and folds keep it with map_cell: map_add()
adds each batch to both, map_rebuild() counts both again. Tiles, the map's totals and the home page
read map_total unless months are chosen.

The switch happens as in 0020: with the report table locked against writes and the map's pending
changes locked against another fold, what is pending is folded with the old functions first, then
map_total is summed from map_cell and the new functions take over.

Measured on the benchmark databases: the upgrade takes 16 s at 1M reports and 20 s at 5M (report
writes wait meanwhile); map_total holds 0.9 and 1.2 million rows (98 and 130 MB) beside map_cell's
3.9 and 8.3 million. A tile's statement with no months chosen (200 tiles, three rounds) goes from a
median of 2.5 / 4.5 / 2.7 ms at zooms 10 / 12 / 14 at 1M, and 3.5 / 5.3 / 3.5 ms at 5M, to
1.5 / 1.8 / 1.4 ms at 1M and 1.7 / 1.9 / 1.4 ms at 5M.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

DEEPEST = 17
LEVELS = "(VALUES (12), (14), (16), (17))"  # seeclick/publicmap/tiles.py ROLLUP_LEVELS


def summed(deltas_table: str, table: str, month: bool) -> str:
    """The statement adding deltas (or, to rebuild, every report as +1) to `table`, at each level, four ways."""
    m = ", d.month" if month else ""
    key = "level, category_id, department_id, x, y" + (", month" if month else "") + ", is_open"
    return f"""
        INSERT INTO {table} AS c ({key}, n)
        SELECT d.level, coalesce(d.category_id, 0), coalesce(d.department_id, 0), d.x, d.y{m}, d.is_open, sum(d.n)
        FROM (SELECT l.level, s.category_id, s.department_id, s.x >> ({DEEPEST} - l.level) AS x,
                     s.y >> ({DEEPEST} - l.level) AS y, s.month, s.is_open, s.n
              FROM {deltas_table} s CROSS JOIN {LEVELS} AS l(level)) d
        GROUP BY GROUPING SETS (
            (d.level, d.x, d.y{m}, d.is_open),
            (d.level, d.category_id, d.x, d.y{m}, d.is_open),
            (d.level, d.department_id, d.x, d.y{m}, d.is_open),
            (d.level, d.category_id, d.department_id, d.x, d.y{m}, d.is_open))
        HAVING sum(d.n) <> 0
        ON CONFLICT ({key}) DO UPDATE SET n = c.n + excluded.n
    """


def map_add(totals: bool) -> str:
    """map_add() adding each batch to map_cell by month, and (`totals`) to map_total over all months."""
    also = f"EXECUTE format($sql${summed('%1$s', 'map_total', month=False)}$sql$, deltas);" if totals else ""
    return f"""
-- Deltas (or, to rebuild, every report as +1) summed at each level, four ways, added to map_cell by month
-- and to map_total over all months.
CREATE OR REPLACE FUNCTION map_add(deltas regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    added bigint;
BEGIN
    EXECUTE format($sql${summed('%1$s', 'map_cell', month=True)}$sql$, deltas);
    GET DIAGNOSTICS added = ROW_COUNT;
    {also}
    RETURN added;
END $$;
"""


def map_rebuild(tables: str) -> str:
    return f"""
-- Count every report again from scratch (after a bulk load, or to repair).
CREATE OR REPLACE FUNCTION map_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE map_delta IN EXCLUSIVE MODE;
    TRUNCATE {tables};
    DELETE FROM map_delta;
    CREATE TEMPORARY TABLE map_rebuild_batch ON COMMIT DROP AS
        SELECT category_id, department_id, map_tile_x(ST_X(location), {DEEPEST}) AS x,
               map_tile_y(ST_Y(location), {DEEPEST}) AS y,
               date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month,
               closed_at IS NULL AS is_open, count(*)::int AS n
        FROM report GROUP BY 1, 2, 3, 4, 5, 6;
    PERFORM map_add('map_rebuild_batch');
    DROP TABLE map_rebuild_batch;
    RETURN (SELECT count(*) FROM map_cell);
END $$;
"""


def settled():
    """No report change, and no other fold, until this transaction ends; what is pending folded now.

    Writers of reports hold their lock until they commit, so once the lock is ours every change made
    so far is in map_delta; a fold running elsewhere holds map_delta's rows until it commits.
    """
    op.execute("LOCK TABLE report IN EXCLUSIVE MODE")
    op.execute("LOCK TABLE map_delta IN EXCLUSIVE MODE")
    op.execute("SELECT map_fold()")


def upgrade():
    op.execute("""
        CREATE TABLE map_total (
            level smallint NOT NULL,
            category_id integer NOT NULL,   -- 0: every category
            department_id integer NOT NULL, -- 0: every department
            x integer NOT NULL,
            y integer NOT NULL,
            is_open boolean NOT NULL,
            n integer NOT NULL,
            PRIMARY KEY (level, category_id, department_id, x, y, is_open)
        )
    """)
    settled()
    op.execute("""
        INSERT INTO map_total (level, category_id, department_id, x, y, is_open, n)
        SELECT level, category_id, department_id, x, y, is_open, sum(n)
        FROM map_cell GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0
    """)
    op.execute(map_add(totals=True))
    op.execute(map_rebuild("map_cell, map_total"))


def downgrade():
    settled()
    op.execute(map_add(totals=False))
    op.execute(map_rebuild("map_cell"))
    op.execute("DROP TABLE map_total")
