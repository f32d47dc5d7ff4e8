"""Each person's language: their mail is written in the language they used.

A report keeps the language its reporter wrote in (their receipt and the updates they follow),
each follower and watch the language they asked in, and an account the language its owner chose
on the switcher (NULL: their browser's). Rows written before are in English, the only language
there was.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    for table, column in (("report", "reporter_locale"), ("follower", "locale"), ("watch", "locale")):
        op.add_column(table, sa.Column(column, sa.String(16), server_default="en", nullable=False))
    op.add_column("user_account", sa.Column("locale", sa.String(16), nullable=True))


def downgrade():
    op.drop_column("user_account", "locale")
    for table, column in (("watch", "locale"), ("follower", "locale"), ("report", "reporter_locale")):
        op.drop_column(table, column)
