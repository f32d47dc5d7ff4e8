"""The public map's counts of reports per cell, kept ahead of time for the zoomed-out tiles.

A cell is a Web-Mercator tile of a deeper zoom (its level). map_cell holds, per level, cell, month
and open-or-closed, the number of reports, four ways: for all categories and departments
(category_id = department_id = 0), per category, per department, and per both; so a tile of the
whole city sums a few thousand rows whatever the filter, never the reports themselves.

Report changes do not touch map_cell: a trigger appends a row to map_delta (+1 for what a report
now counts as, -1 for what it counted as before), and map_fold(), run every minute by the worker,
moves them into map_cell in one statement. A submission pays for one small insert and contends
with nobody for a counter row. A count that falls to zero stays as a zero row until map_rebuild().

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The deepest level counted ahead of time (17 from migration 0020, which redefines these functions).
DEEPEST = 16
LEVELS = "(VALUES (12), (14), (16))"

FUNCTIONS = f"""
CREATE FUNCTION map_tile_x(lon double precision, level int) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN least(greatest(floor((lon + 180.0) / 360.0 * (1 << level))::int, 0), (1 << level) - 1);

CREATE FUNCTION map_tile_y(lat double precision, level int) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN least(greatest(floor((1.0 - ln(tan(radians(lat)) + 1.0 / cos(radians(lat))) / pi()) / 2.0
                                * (1 << level))::int, 0), (1 << level) - 1);

CREATE FUNCTION map_delta_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO map_delta (category_id, department_id, x, y, month, is_open, n)
        VALUES (OLD.category_id, OLD.department_id, map_tile_x(ST_X(OLD.location), {DEEPEST}),
                map_tile_y(ST_Y(OLD.location), {DEEPEST}), date_trunc('month', OLD.created_at AT TIME ZONE 'UTC'),
                OLD.closed_at IS NULL, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO map_delta (category_id, department_id, x, y, month, is_open, n)
        VALUES (NEW.category_id, NEW.department_id, map_tile_x(ST_X(NEW.location), {DEEPEST}),
                map_tile_y(ST_Y(NEW.location), {DEEPEST}), date_trunc('month', NEW.created_at AT TIME ZONE 'UTC'),
                NEW.closed_at IS NULL, 1);
    END IF;
    RETURN NULL;
END $$;

-- Deltas (or, to rebuild, every report as +1) summed at each level, four ways, added to map_cell.
CREATE FUNCTION map_add(deltas regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    added bigint;
BEGIN
    EXECUTE format($sql$
        INSERT INTO map_cell AS c (level, category_id, department_id, x, y, month, is_open, n)
        SELECT d.level, coalesce(d.category_id, 0), coalesce(d.department_id, 0), d.x, d.y, d.month, d.is_open,
               sum(d.n)
        FROM (SELECT l.level, s.category_id, s.department_id, s.x >> ({DEEPEST} - l.level) AS x,
                     s.y >> ({DEEPEST} - l.level) AS y, s.month, s.is_open, s.n
              FROM %s s CROSS JOIN {LEVELS} AS l(level)) d
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

-- Move what report changes left in map_delta into map_cell. Rows a transaction still writing has
-- added are not seen and wait for the next fold; two folds at once never take the same row.
CREATE FUNCTION map_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    CREATE TEMPORARY TABLE map_fold_batch ON COMMIT DROP AS
        WITH taken AS (DELETE FROM map_delta RETURNING *)
        SELECT category_id, department_id, x, y, month, is_open, sum(n)::int AS n
        FROM taken GROUP BY 1, 2, 3, 4, 5, 6;
    SELECT count(*) INTO moved FROM map_fold_batch;
    PERFORM map_add('map_fold_batch');
    DROP TABLE map_fold_batch;
    RETURN moved;
END $$;

-- Count every report again from scratch (after a bulk load, or to repair).
CREATE FUNCTION map_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE map_delta IN EXCLUSIVE MODE;
    TRUNCATE map_cell;
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


def upgrade():
    op.execute("""
        CREATE TABLE map_cell (
            level smallint NOT NULL,
            category_id integer NOT NULL,   -- 0: every category
            department_id integer NOT NULL, -- 0: every department
            x integer NOT NULL,
            y integer NOT NULL,
            month date NOT NULL,            -- the month the reports were made (UTC)
            is_open boolean NOT NULL,
            n integer NOT NULL,
            PRIMARY KEY (level, category_id, department_id, x, y, month, is_open)
        )
    """)
    op.execute("""
        CREATE TABLE map_delta (
            category_id integer NOT NULL,
            department_id integer NOT NULL,
            x integer NOT NULL,
            y integer NOT NULL,
            month date NOT NULL,
            is_open boolean NOT NULL,
            n integer NOT NULL
        )
    """)
    op.execute(FUNCTIONS)
    op.execute("""
        CREATE TRIGGER map_delta_insert_delete AFTER INSERT OR DELETE ON report
            FOR EACH ROW EXECUTE FUNCTION map_delta_record();
        CREATE TRIGGER map_delta_update AFTER UPDATE OF category_id, department_id, location, created_at, closed_at
            ON report FOR EACH ROW
            WHEN (OLD.category_id IS DISTINCT FROM NEW.category_id
                  OR OLD.department_id IS DISTINCT FROM NEW.department_id
                  OR NOT ST_Equals(OLD.location, NEW.location)
                  OR OLD.created_at IS DISTINCT FROM NEW.created_at
                  OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL))
            EXECUTE FUNCTION map_delta_record();
    """)
    op.execute("SELECT map_rebuild()")


def downgrade():
    op.execute("DROP TRIGGER map_delta_update ON report")
    op.execute("DROP TRIGGER map_delta_insert_delete ON report")
    op.execute("DROP FUNCTION map_rebuild(), map_fold(), map_add(regclass), map_delta_record(), "
               "map_tile_y(double precision, int), map_tile_x(double precision, int)")
    op.execute("DROP TABLE map_delta")
    op.execute("DROP TABLE map_cell")
