"""Closing the loop: "was it fixed?", requests to reopen, and figures no one can game.

Some days after a report is closed as fixed, its reporter and followers are asked whether it is
(`questionnaire`, one row and one token a person and close); the answer is kept on the report
(fix_confirmed) so that the statistics fold it in like any other change of a report. A "no", or a
reporter's own request from their mail, is a `reopen_request` staff accept or decline (or, by the
category's policy, one that reopens at once); reports count their reopens.

The rollups learn four things: answers and confirmations, reopens, the merge times of duplicates
(censored, never closed, in the Kaplan-Meier estimates) and months beside weeks; open reports are
kept by week and month too, so every period's estimate counts its reports still open. The figures
are rebuilt once from the reports (folded_at is cleared: the next fold rebuilds). Targets keep their
history (target_history), and neighbourhoods their population (for reports per 1,000 residents).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

policy = postgresql.ENUM("staff_decide", "at_once", name="reopen_policy", create_type=False)
source = postgresql.ENUM("questionnaire", "reporter", name="reopen_source", create_type=False)
decision = postgresql.ENUM("accepted", "declined", name="reopen_decision", create_type=False)

DELTA = ("(sign, department_id, category_id, neighbourhood_id, created_at, due_at, acknowledged_at, closed_at, "
         "duplicate{})")
OLD_DIMENSIONS = "dimension IN ('city', 'department', 'category', 'neighbourhood', 'week')"
NEW_DIMENSIONS = "dimension IN ('city', 'department', 'category', 'neighbourhood', 'week', 'month')"


def figures(row, more=True):
    """What of a report the statistics read (0008's list, then the reporter's answer and whether it reopened)."""
    base = (f"{row}.department_id, {row}.category_id, {row}.neighbourhood_id, {row}.created_at, {row}.due_at, "
            f"{row}.acknowledged_at, {row}.closed_at, {row}.status = 'duplicate'")
    return base + (f", {row}.fix_confirmed, {row}.reopens > 0" if more else "")


def record_change(more=True):
    columns = DELTA.format(", confirmed, reopened" if more else "")
    return f"""
        CREATE OR REPLACE FUNCTION stats_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- A bulk load that rebuilds the rollups afterwards (flask demo generate) turns this off.
            IF current_setting('seeclick.stats_deltas', true) = 'off' THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO stats_delta {columns} VALUES (-1, {figures("OLD", more)}), (1, {figures("NEW", more)});
            ELSIF TG_OP = 'INSERT' THEN
                INSERT INTO stats_delta {columns} VALUES (1, {figures("NEW", more)});
            ELSE
                INSERT INTO stats_delta {columns} VALUES (-1, {figures("OLD", more)});
            END IF;
            RETURN NULL;
        END $$
    """


def changed_trigger(more=True):
    return f"""
        CREATE TRIGGER report_stats_changed AFTER UPDATE ON report
        FOR EACH ROW WHEN (({figures("OLD", more)}) IS DISTINCT FROM ({figures("NEW", more)}))
        EXECUTE FUNCTION stats_record_change()
    """


def upgrade():
    for kind in (policy, source, decision):
        kind.create(op.get_bind())
    op.execute("ALTER TYPE notification_event ADD VALUE IF NOT EXISTS 'questionnaire'")
    op.add_column("report", sa.Column("fix_confirmed", sa.Boolean))
    op.add_column("report", sa.Column("reopens", sa.SmallInteger, server_default="0", nullable=False))
    op.add_column("department", sa.Column("questionnaire_days", sa.SmallInteger, server_default="7", nullable=False))
    op.create_check_constraint("questionnaire_days_in_range", "department", "questionnaire_days BETWEEN 0 AND 90")
    op.add_column("category", sa.Column("reopen_policy", policy, server_default="staff_decide", nullable=False))
    op.add_column("neighbourhood", sa.Column("population", sa.Integer))
    op.add_column("neighbourhood", sa.Column("population_margin", sa.Integer))

    op.create_table(
        "questionnaire",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("follower_id", sa.BigInteger, sa.ForeignKey("follower.id", ondelete="CASCADE"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.String(40), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("fixed", sa.Boolean),
        sa.Column("note", sa.Text, server_default="", nullable=False),
        sa.UniqueConstraint("report_id", "follower_id", "closed_at", name="uq_questionnaire_report_follower_close"),
        sa.CheckConstraint("(answered_at IS NULL) = (fixed IS NULL)", name="answered_has_an_answer"),
    )
    op.create_table(
        "reopen_request",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", source, nullable=False),
        sa.Column("note", sa.Text, server_default="", nullable=False),
        sa.Column("photo_id", sa.BigInteger, sa.ForeignKey("photo.id", ondelete="SET NULL")),
        sa.Column("questionnaire_id", sa.BigInteger, sa.ForeignKey("questionnaire.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision", decision),
        sa.Column("reason", sa.Text, server_default="", nullable=False),
        sa.Column("decided_by_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.CheckConstraint("(decided_at IS NULL) = (decision IS NULL)", name="decided_has_a_decision"),
    )
    op.create_index("ix_reopen_request_report_id", "reopen_request", ["report_id"])
    op.create_index("ix_reopen_request_pending", "reopen_request", ["created_at"],
                    postgresql_where=sa.text("decided_at IS NULL"))
    op.create_table(
        "target_history",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("category.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sla_hours", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("changed_by_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="SET NULL")),
    )
    op.create_index("ix_target_history_category_changed", "target_history", ["category_id", "changed_at"])
    # Each category's target as it stands, as the first entry of its history (who set it is not known).
    op.execute("INSERT INTO target_history (category_id, sla_hours) SELECT id, sla_hours FROM category")

    op.add_column("stats_delta", sa.Column("confirmed", sa.Boolean))
    op.add_column("stats_delta", sa.Column("reopened", sa.Boolean, server_default=sa.false(), nullable=False))
    for name in ("answered", "confirmed", "reopened"):
        op.add_column("stats_count", sa.Column(name, sa.Integer, server_default="0", nullable=False))
        op.add_column("stats_result", sa.Column(name, sa.Integer, server_default="0", nullable=False))
    for name in ("close_mean", "km_p50", "km_p50_low", "km_p50_high", "km_p90"):
        op.add_column("stats_result", sa.Column(name, sa.Double))
    op.add_column("stats_result", sa.Column("km_at", sa.DateTime(timezone=True)))
    op.drop_constraint(op.f("ck_stats_count_dimension"), "stats_count")
    op.create_check_constraint("dimension", "stats_count", NEW_DIMENSIONS)
    op.drop_constraint(op.f("ck_stats_histogram_measure"), "stats_histogram")
    op.create_check_constraint("measure", "stats_histogram", "measure IN ('acknowledge', 'close', 'merge')")
    op.execute(record_change())
    op.execute("DROP TRIGGER report_stats_changed ON report")
    op.execute(changed_trigger())
    op.execute("UPDATE stats_state SET folded_at = NULL")  # the next fold rebuilds every figure


def downgrade():
    op.execute("DROP TRIGGER report_stats_changed ON report")
    op.execute(changed_trigger(more=False))
    op.execute(record_change(more=False))
    op.execute("DELETE FROM stats_histogram WHERE measure = 'merge'")
    op.execute("DELETE FROM stats_count WHERE dimension = 'month'")
    op.execute("DELETE FROM stats_open WHERE dimension IN ('week', 'month')")
    op.execute("DELETE FROM stats_result WHERE dimension = 'month'")
    op.drop_constraint(op.f("ck_stats_histogram_measure"), "stats_histogram")
    op.create_check_constraint("measure", "stats_histogram", "measure IN ('acknowledge', 'close')")
    op.drop_constraint(op.f("ck_stats_count_dimension"), "stats_count")
    op.create_check_constraint("dimension", "stats_count", OLD_DIMENSIONS)
    op.drop_column("stats_result", "km_at")
    for name in ("close_mean", "km_p50", "km_p50_low", "km_p50_high", "km_p90"):
        op.drop_column("stats_result", name)
    for name in ("answered", "confirmed", "reopened"):
        op.drop_column("stats_result", name)
        op.drop_column("stats_count", name)
    op.drop_column("stats_delta", "reopened")
    op.drop_column("stats_delta", "confirmed")
    op.drop_index("ix_target_history_category_changed", table_name="target_history")
    op.drop_table("target_history")
    op.drop_index("ix_reopen_request_pending", table_name="reopen_request")
    op.drop_index("ix_reopen_request_report_id", table_name="reopen_request")
    op.drop_table("reopen_request")
    op.drop_table("questionnaire")
    op.drop_column("neighbourhood", "population_margin")
    op.drop_column("neighbourhood", "population")
    op.drop_column("category", "reopen_policy")
    op.drop_constraint(op.f("ck_department_questionnaire_days_in_range"), "department")
    op.drop_column("department", "questionnaire_days")
    op.drop_column("report", "reopens")
    op.drop_column("report", "fix_confirmed")
    for kind in (decision, source, policy):
        kind.drop(op.get_bind())
    op.execute("UPDATE stats_state SET folded_at = NULL")
    # PostgreSQL cannot drop one value of an enum; 'questionnaire' stays, unused, which is harmless.
