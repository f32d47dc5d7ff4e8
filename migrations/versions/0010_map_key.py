"""Each report's place as one number in Z-order, so a map tile's reports are one index range.

map_key is the report's cell at level 20 (a Web-Mercator tile of zoom 20, about 30 m across in New
York) with the bits of its column and row interleaved. Every tile of any zoom is then a contiguous
range of keys, and a cell of any coarser level is the key shifted right. With the filtered columns
included, counting a zoom-14 tile's reports is an index-only scan of that range, never the heap.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE FUNCTION map_bits_spread(v bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        BEGIN  -- the bits of v, one in every two: ...dcba becomes ...0d0c0b0a
            v := (v | (v << 16)) & x'0000FFFF0000FFFF'::bigint;
            v := (v | (v << 8)) & x'00FF00FF00FF00FF'::bigint;
            v := (v | (v << 4)) & x'0F0F0F0F0F0F0F0F'::bigint;
            v := (v | (v << 2)) & x'3333333333333333'::bigint;
            RETURN (v | (v << 1)) & x'5555555555555555'::bigint;
        END $$;

        CREATE FUNCTION map_bits_compact(v bigint) RETURNS int LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        BEGIN  -- the inverse: every other bit of v, from the lowest
            v := v & x'5555555555555555'::bigint;
            v := (v | (v >> 1)) & x'3333333333333333'::bigint;
            v := (v | (v >> 2)) & x'0F0F0F0F0F0F0F0F'::bigint;
            v := (v | (v >> 4)) & x'00FF00FF00FF00FF'::bigint;
            v := (v | (v >> 8)) & x'0000FFFF0000FFFF'::bigint;
            RETURN ((v | (v >> 16)) & x'00000000FFFFFFFF'::bigint)::int;
        END $$;

        CREATE FUNCTION map_key(location geometry) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN map_bits_spread(map_tile_x(ST_X(location), 20))
                   | (map_bits_spread(map_tile_y(ST_Y(location), 20)) << 1);
    """)
    op.execute("ALTER TABLE report ADD COLUMN map_key bigint GENERATED ALWAYS AS (map_key(location)) STORED")
    op.execute("CREATE INDEX ix_report_map_key ON report (map_key) "
               "INCLUDE (category_id, department_id, created_at, closed_at)")


def downgrade():
    op.execute("DROP INDEX ix_report_map_key")
    op.execute("ALTER TABLE report DROP COLUMN map_key")
    op.execute("DROP FUNCTION map_key(geometry), map_bits_compact(bigint), map_bits_spread(bigint)")
