"""Ticket lifecycle: optimistic locking, duplicates, reassignment events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Each change to a report bumps its version; a change made from a stale copy is refused.
    op.add_column("report", sa.Column("version", sa.Integer, server_default="1", nullable=False))
    op.add_column("report", sa.Column("duplicate_of_id", sa.BigInteger))
    op.create_foreign_key("fk_report_duplicate_of_id_report", "report", "report", ["duplicate_of_id"], ["id"])
    op.create_index("ix_report_duplicate_of_id", "report", ["duplicate_of_id"],
                    postgresql_where=sa.text("duplicate_of_id IS NOT NULL"))
    op.create_check_constraint("not_its_own_duplicate", "report", "duplicate_of_id <> id")
    op.create_check_constraint("duplicate_is_closed_as_duplicate", "report",
                               "duplicate_of_id IS NULL OR status = 'duplicate'")

    # A department's queue: its open tickets, oldest first or soonest due, without a sort.
    op.create_index("ix_report_open_by_department_created", "report", ["department_id", "created_at"],
                    postgresql_where=sa.text("closed_at IS NULL"))
    op.create_index("ix_report_open_by_department_due", "report", ["department_id", "due_at"],
                    postgresql_where=sa.text("closed_at IS NULL"))

    # Reassignment is an event of its own: from which department to which, and why (the body).
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE update_kind ADD VALUE IF NOT EXISTS 'reassign'")
    op.add_column("report_update", sa.Column("from_department_id", sa.Integer))
    op.add_column("report_update", sa.Column("to_department_id", sa.Integer))
    op.create_foreign_key("fk_report_update_from_department_id_department", "report_update", "department",
                          ["from_department_id"], ["id"])
    op.create_foreign_key("fk_report_update_to_department_id_department", "report_update", "department",
                          ["to_department_id"], ["id"])


def downgrade():
    op.drop_constraint("fk_report_update_to_department_id_department", "report_update")
    op.drop_constraint("fk_report_update_from_department_id_department", "report_update")
    op.drop_column("report_update", "to_department_id")
    op.drop_column("report_update", "from_department_id")
    # PostgreSQL cannot drop an enum value: rebuild the type without 'reassign'. The log is
    # immutable, so a database that already holds reassignments cannot go down.
    op.execute("""
        ALTER TYPE update_kind RENAME TO update_kind_old;
        CREATE TYPE update_kind AS ENUM ('status', 'comment');
        ALTER TABLE report_update ALTER COLUMN kind TYPE update_kind USING kind::text::update_kind;
        DROP TYPE update_kind_old;
    """)
    op.drop_constraint(op.f("ck_report_duplicate_is_closed_as_duplicate"), "report")
    op.drop_constraint(op.f("ck_report_not_its_own_duplicate"), "report")
    op.drop_index("ix_report_duplicate_of_id", "report")
    op.drop_index("ix_report_open_by_department_due", "report")
    op.drop_index("ix_report_open_by_department_created", "report")
    op.drop_constraint("fk_report_duplicate_of_id_report", "report")
    op.drop_column("report", "duplicate_of_id")
    op.drop_column("report", "version")
