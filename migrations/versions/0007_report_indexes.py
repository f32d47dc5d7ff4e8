"""Indexes for reading reports by category in time order, and by place within a time window.

Open311 GET requests filter by service (category) and status and want the newest first; bbox and
radius filters want the reports in a box within the 90-day window. btree_gist lets one GiST index
hold the point and the creation time together.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    # Leads with category_id, so it also serves what ix_report_category_id did (one index less to write).
    op.create_index("ix_report_category_created", "report", ["category_id", "created_at"])
    op.drop_index("ix_report_category_id", "report")
    op.create_index("ix_report_open_by_category_created", "report", ["category_id", "created_at"],
                    postgresql_where=sa.text("closed_at IS NULL"))
    op.create_index("ix_report_location_created", "report", ["location", "created_at"], postgresql_using="gist")


def downgrade():
    op.drop_index("ix_report_location_created", "report")
    op.drop_index("ix_report_open_by_category_created", "report")
    op.create_index("ix_report_category_id", "report", ["category_id"])
    op.drop_index("ix_report_category_created", "report")
