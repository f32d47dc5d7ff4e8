"""When each periodic job last finished, for /healthz to say how far behind the worker is.

The statistics keep their own time (stats_state.folded_at), mail its own (the oldest unsent row of
the outbox); the map's counts keep none, and a fold that has stopped looks like one with nothing to
do. Each periodic job writes its row here in the transaction of its work, so the time is that of
work committed.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_run",
        sa.Column("task", sa.String(80), primary_key=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("job_run")
