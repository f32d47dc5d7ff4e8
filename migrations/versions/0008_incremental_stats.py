"""Response-time rollups kept incrementally: report changes recorded by a trigger, folded in every minute.

Replaces the materialized views of 0005, whose refresh re-read a year of reports every minute.
A trigger on report appends each change that matters to the statistics to stats_delta (the old
figures with sign -1, the new with +1); the every-minute job folds those rows into per-group
counters and histograms and recomputes the figures of the groups they touched (seeclick/stats/
services.py). The tables start empty: the job's first run builds them from the reports in bulk.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

GROUP = (sa.Column("dimension", sa.Text, nullable=False), sa.Column("group_id", sa.Integer, nullable=False))
# Counters are updated in place: room on each page keeps a new row version beside the old one (a HOT
# update), so a group's buckets stay on the few pages the bulk build wrote them to, in order.
ROOM_TO_UPDATE = {"fillfactor": 50}
DIMENSIONS = "dimension IN ('city', 'department', 'category', 'neighbourhood', 'week')"
DELTA = ("(sign, department_id, category_id, neighbourhood_id, created_at, due_at, acknowledged_at, closed_at, "
         "duplicate)")


def figures(row):
    """What of a report the statistics read; a change to anything else (a note, "in progress") records nothing."""
    return (f"{row}.department_id, {row}.category_id, {row}.neighbourhood_id, {row}.created_at, {row}.due_at, "
            f"{row}.acknowledged_at, {row}.closed_at, {row}.status = 'duplicate'")


def group_columns():
    return [sa.Column(c.name, c.type, nullable=False) for c in GROUP]


def upgrade():
    op.execute("DROP MATERIALIZED VIEW response_weekly")
    op.execute("DROP MATERIALIZED VIEW response_stats")

    # Append-only, no index: a report change costs one cheap INSERT and contends with nobody.
    op.create_table(
        "stats_delta",
        sa.Column("sign", sa.SmallInteger, nullable=False),
        sa.Column("department_id", sa.Integer, nullable=False),
        sa.Column("category_id", sa.Integer, nullable=False),
        sa.Column("neighbourhood_id", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("duplicate", sa.Boolean, nullable=False),
    )
    op.create_table(
        "stats_state",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("folded_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("id = 1", name="one_row"),
    )
    op.execute("INSERT INTO stats_state (id, folded_at) VALUES (1, NULL)")
    op.create_table(
        "stats_count",
        *group_columns(),
        *(sa.Column(name, sa.Integer, nullable=False) for name in
          ("reports", "acknowledged", "closed", "open", "on_time", "overdue")),
        sa.PrimaryKeyConstraint("dimension", "group_id"),
        sa.CheckConstraint(DIMENSIONS, name="dimension"),
        postgresql_with=ROOM_TO_UPDATE,
    )
    op.create_table(
        "stats_histogram",
        *group_columns(),
        sa.Column("measure", sa.Text, nullable=False),
        sa.Column("bucket", sa.SmallInteger, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("dimension", "group_id", "measure", "bucket"),
        sa.CheckConstraint("measure IN ('acknowledge', 'close')", name="measure"),
        postgresql_with=ROOM_TO_UPDATE,
    )
    op.create_table(
        "stats_open",
        *group_columns(),
        sa.Column("tier", sa.SmallInteger, nullable=False),
        sa.Column("bucket", sa.BigInteger, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("created_sum", sa.Double, nullable=False),
        sa.Column("moves_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("dimension", "group_id", "tier", "bucket"),
        postgresql_with=ROOM_TO_UPDATE,
    )
    op.create_index("ix_stats_open_moves_at", "stats_open", ["moves_at"])
    op.create_table(
        "stats_neighbourhood_category",
        sa.Column("neighbourhood_id", sa.Integer, nullable=False),
        sa.Column("category_id", sa.Integer, nullable=False),
        sa.Column("reports", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("neighbourhood_id", "category_id"),
    )
    op.create_table(
        "stats_result",
        *group_columns(),
        *(sa.Column(name, sa.Integer, nullable=False) for name in
          ("reports", "acknowledged", "closed", "open", "on_time", "judged")),
        *(sa.Column(name, sa.Double) for name in
          ("ack_p50", "ack_p90", "close_p50", "close_p90", "open_created_p50")),
        sa.PrimaryKeyConstraint("dimension", "group_id"),
    )

    # Seconds to a bucket: 0 under a second, then buckets 2% wide ([1.02^(k-1), 1.02^k) is bucket k).
    op.execute("""
        CREATE FUNCTION stats_bucket(seconds double precision) RETURNS smallint
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN (CASE WHEN seconds < 1 THEN 0 ELSE 1 + floor(ln(seconds) / ln(1.02)) END)::smallint
    """)
    # Open reports' creation times are kept in buckets of 2^tier minutes, the coarsest for which the
    # bucket ended at least 50 bucket widths before `now_minute`: the width is at most 2% of the age.
    # That tier is floor(log2(age / 51)) or one more; counting down from two more allows for rounding.
    op.execute("""
        CREATE FUNCTION stats_open_tier(minute bigint, now_minute bigint) RETURNS smallint
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        DECLARE
            k int := greatest(0, floor(ln(greatest(now_minute - minute, 1) / 51.0::float8) / ln(2.0::float8))::int + 2);
        BEGIN
            WHILE k > 0 AND ((minute >> k) + 51) << k > now_minute LOOP
                k := k - 1;
            END LOOP;
            RETURN k;
        END $$
    """)
    op.execute(f"""
        CREATE FUNCTION stats_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- A bulk load that rebuilds the rollups afterwards (flask demo generate) turns this off.
            IF current_setting('seeclick.stats_deltas', true) = 'off' THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO stats_delta {DELTA} VALUES (-1, {figures("OLD")}), (1, {figures("NEW")});
            ELSIF TG_OP = 'INSERT' THEN
                INSERT INTO stats_delta {DELTA} VALUES (1, {figures("NEW")});
            ELSE
                INSERT INTO stats_delta {DELTA} VALUES (-1, {figures("OLD")});
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE FUNCTION stats_forget_all() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE stats_delta, stats_count, stats_histogram, stats_open, stats_neighbourhood_category,
                     stats_result;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER report_stats_recorded AFTER INSERT OR DELETE ON report
        FOR EACH ROW EXECUTE FUNCTION stats_record_change()
    """)
    op.execute(f"""
        CREATE TRIGGER report_stats_changed AFTER UPDATE ON report
        FOR EACH ROW WHEN (({figures("OLD")}) IS DISTINCT FROM ({figures("NEW")}))
        EXECUTE FUNCTION stats_record_change()
    """)
    op.execute("""
        CREATE TRIGGER report_stats_truncated AFTER TRUNCATE ON report
        FOR EACH STATEMENT EXECUTE FUNCTION stats_forget_all()
    """)

    # A neighbourhood's page: its newest open reports for the map, and how many are open.
    op.create_index("ix_report_open_by_neighbourhood_created", "report", ["neighbourhood_id", "created_at"],
                    postgresql_where=sa.text("closed_at IS NULL"))


def downgrade():
    op.drop_index("ix_report_open_by_neighbourhood_created", "report")
    op.execute("DROP TRIGGER report_stats_truncated ON report")
    op.execute("DROP TRIGGER report_stats_changed ON report")
    op.execute("DROP TRIGGER report_stats_recorded ON report")
    op.execute("DROP FUNCTION stats_forget_all()")
    op.execute("DROP FUNCTION stats_record_change()")
    op.execute("DROP FUNCTION stats_open_tier(bigint, bigint)")
    op.execute("DROP FUNCTION stats_bucket(double precision)")
    for table in ("stats_result", "stats_neighbourhood_category", "stats_open", "stats_histogram", "stats_count",
                  "stats_state", "stats_delta"):
        op.drop_table(table)
    # The materialized views of 0005 again, as that migration made them.
    spec = importlib.util.spec_from_file_location("stats_0005", Path(__file__).with_name("0005_stats.py"))
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    previous.upgrade()
