"""Response-time rollups: materialized views the stats pages read, refreshed every minute.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The reports of the last year, with their times in seconds. A duplicate's close is the merge,
# not a fix, so it does not count as a close. Still-open reports count as open, never as closed.
TIMES = """
    SELECT department_id, category_id, neighbourhood_id, created_at, due_at, closed_at, acknowledged_at,
           extract(epoch FROM acknowledged_at - created_at) AS ack_s,
           CASE WHEN closed_at IS NOT NULL AND status <> 'duplicate'
                THEN extract(epoch FROM closed_at - created_at) END AS close_s
    FROM report
    WHERE created_at >= now() - interval '365 days'
"""

MEASURES = """
    count(*) AS reports,
    count(acknowledged_at) AS acknowledged,
    count(close_s) AS closed,
    count(*) FILTER (WHERE closed_at IS NULL) AS open,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY ack_s) AS ack_p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY ack_s) AS ack_p90,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY close_s) AS close_p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY close_s) AS close_p90,
    count(*) FILTER (WHERE close_s IS NOT NULL AND closed_at <= due_at) AS on_time,
    count(*) FILTER (WHERE close_s IS NOT NULL OR (closed_at IS NULL AND due_at <= now())) AS judged,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM now() - created_at))
        FILTER (WHERE closed_at IS NULL) AS open_age_p50,
    now() AS refreshed_at
"""


def upgrade():
    op.execute(f"""
        CREATE MATERIALIZED VIEW response_stats AS
        WITH r AS ({TIMES})
        SELECT CASE WHEN grouping(department_id) = 0 THEN 'department'
                    WHEN grouping(category_id) = 0 THEN 'category'
                    WHEN grouping(neighbourhood_id) = 0 THEN 'neighbourhood'
                    ELSE 'city' END AS dimension,
               coalesce(department_id, category_id, neighbourhood_id, 0) AS group_id,
               {MEASURES}
        FROM r
        GROUP BY GROUPING SETS ((department_id), (category_id), (neighbourhood_id), ())
    """)
    op.execute("CREATE UNIQUE INDEX ux_response_stats ON response_stats (dimension, group_id)")
    op.execute(f"""
        CREATE MATERIALIZED VIEW response_weekly AS
        WITH r AS ({TIMES})
        SELECT date_trunc('week', created_at) AS week,
               coalesce(department_id, 0) AS department_id,
               {MEASURES}
        FROM r
        GROUP BY GROUPING SETS ((date_trunc('week', created_at)), (date_trunc('week', created_at), department_id))
    """)
    op.execute("CREATE UNIQUE INDEX ux_response_weekly ON response_weekly (department_id, week)")


def downgrade():
    op.execute("DROP MATERIALIZED VIEW response_weekly")
    op.execute("DROP MATERIALIZED VIEW response_stats")
