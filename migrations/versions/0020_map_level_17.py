"""The public map's counts kept one level deeper (17), so neighbourhood tiles (zoom 14) are sums too.

Until now the deepest stored level was 16 and a zoom-14 tile, which wants cells an eighth to a
sixteenth of its width (levels 17-18), counted its reports from the map_key index: a cost that grows
with the reports in the tile (the statement's median 2.9 ms at 1M reports, 14.5 ms at 5M). With
level 17 stored, zoom 14 sums the rows of at most 64 cells like every zoom above it (3.1 ms at 5M).
Zoom 13 keeps level 16: plan() takes the coarsest stored level that fits, the fewest rows.

Changes are recorded in map_delta at level 17 from now on (map_delta_record), and map_add and
map_rebuild shift from 17. The switch happens with the report table locked against writes (reads go
on): a change made before the lock was recorded at level 16 and is folded with the old functions
first; one made after waits for the lock, and its trigger then runs the new function. So map_delta
never holds both levels' coordinates. Levels 12, 14 and 16 are then current, and only level 17 is
counted from the reports (the backfill), which gives the same rows as map_rebuild() in less time.

Measured on copies of the benchmark databases (report writes wait this long): 1,000,000 reports,
25-33 s (map_rebuild() took 31 s at level 16, takes 69 s at 17), adding 2.1 million rows to
map_cell's 1.8 million (209 MB to 513 MB); 5,000,000 reports, 1 min 44 s, 5.2 million rows to
3.1 million (367 MB to 1.1 GB). The downgrade folds the level-17 deltas, switches back to 16 and
deletes level 17's rows (8 s at 1M).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# seeclick/publicmap/tiles.py ROLLUP_LEVELS are these levels; the deepest is recorded, the others shifted to.
LEVELS = (12, 14, 16, 17)
BEFORE = (12, 14, 16)  # migration 0009


def functions(levels: tuple[int, ...]) -> str:
    """map_delta_record, map_add and map_rebuild of 0009 for `levels`, the last of them the deepest."""
    deepest = levels[-1]
    values = "(VALUES " + ", ".join(f"({level})" for level in levels) + ")"
    return f"""
CREATE OR REPLACE FUNCTION map_delta_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO map_delta (category_id, department_id, x, y, month, is_open, n)
        VALUES (OLD.category_id, OLD.department_id, map_tile_x(ST_X(OLD.location), {deepest}),
                map_tile_y(ST_Y(OLD.location), {deepest}), date_trunc('month', OLD.created_at AT TIME ZONE 'UTC'),
                OLD.closed_at IS NULL, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO map_delta (category_id, department_id, x, y, month, is_open, n)
        VALUES (NEW.category_id, NEW.department_id, map_tile_x(ST_X(NEW.location), {deepest}),
                map_tile_y(ST_Y(NEW.location), {deepest}), date_trunc('month', NEW.created_at AT TIME ZONE 'UTC'),
                NEW.closed_at IS NULL, 1);
    END IF;
    RETURN NULL;
END $$;

-- Deltas (or, to rebuild, every report as +1) summed at each level, four ways, added to map_cell.
CREATE OR REPLACE FUNCTION map_add(deltas regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    added bigint;
BEGIN
    EXECUTE format($sql$
        INSERT INTO map_cell AS c (level, category_id, department_id, x, y, month, is_open, n)
        SELECT d.level, coalesce(d.category_id, 0), coalesce(d.department_id, 0), d.x, d.y, d.month, d.is_open,
               sum(d.n)
        FROM (SELECT l.level, s.category_id, s.department_id, s.x >> ({deepest} - l.level) AS x,
                     s.y >> ({deepest} - l.level) AS y, s.month, s.is_open, s.n
              FROM %s s CROSS JOIN {values} AS l(level)) d
        GROUP BY GROUPING SETS (
            (d.level, d.x, d.y, d.month, d.is_open),
            (d.level, d.category_id, d.x, d.y, d.month, d.is_open),
            (d.level, d.department_id, d.x, d.y, d.month, d.is_open),
            (d.level, d.category_id, d.department_id, d.x, d.y, d.month, d.is_open))
        HAVING sum(d.n) <> 0
        ON CONFLICT (level, category_id, department_id, x, y, month, is_open)
        DO UPDATE SET n = c.n + excluded.n
    $sql$, deltas);
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END $$;

-- Count every report again from scratch (after a bulk load, or to repair).
CREATE OR REPLACE FUNCTION map_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE map_delta IN EXCLUSIVE MODE;
    TRUNCATE map_cell;
    DELETE FROM map_delta;
    CREATE TEMPORARY TABLE map_rebuild_batch ON COMMIT DROP AS
        SELECT category_id, department_id, map_tile_x(ST_X(location), {deepest}) AS x,
               map_tile_y(ST_Y(location), {deepest}) AS y,
               date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month,
               closed_at IS NULL AS is_open, count(*)::int AS n
        FROM report GROUP BY 1, 2, 3, 4, 5, 6;
    PERFORM map_add('map_rebuild_batch');
    DROP TABLE map_rebuild_batch;
    RETURN (SELECT count(*) FROM map_cell);
END $$;
"""


def switch(levels: tuple[int, ...]):
    """Fold what is pending with the functions of now, then replace them: no report change in between.

    Writers of reports hold their lock until they commit, so once the lock is ours every change made
    so far is in map_delta and folded; a change made afterwards waits and is recorded by the new trigger.
    """
    op.execute("LOCK TABLE report IN EXCLUSIVE MODE")
    op.execute("SELECT map_fold()")
    op.execute(functions(levels))


def upgrade():
    switch(LEVELS)
    # Levels 12-16 are current; level 17 is counted from the reports, four ways as map_add counts.
    op.execute("""
        INSERT INTO map_cell (level, category_id, department_id, x, y, month, is_open, n)
        SELECT 17, coalesce(category_id, 0), coalesce(department_id, 0), x, y, month, is_open, count(*)
        FROM (SELECT category_id, department_id, map_tile_x(ST_X(location), 17) AS x,
                     map_tile_y(ST_Y(location), 17) AS y,
                     date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month,
                     closed_at IS NULL AS is_open
              FROM report) r
        GROUP BY GROUPING SETS (
            (x, y, month, is_open),
            (category_id, x, y, month, is_open),
            (department_id, x, y, month, is_open),
            (category_id, department_id, x, y, month, is_open))
    """)


def downgrade():
    switch(BEFORE)
    op.execute("DELETE FROM map_cell WHERE level = 17")
