"""Watching a neighbourhood or a circle: a digest of new reports there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TYPE notification_event ADD VALUE IF NOT EXISTS 'digest'")
    op.create_table(
        "watch",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("neighbourhood_id", sa.Integer, sa.ForeignKey("neighbourhood.id", ondelete="CASCADE")),
        sa.Column("centre", Geometry("POINT", srid=4326, spatial_index=False)),
        sa.Column("radius_m", sa.Integer),
        sa.Column("token", sa.String(40), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        sa.Column("covered_until", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("(neighbourhood_id IS NULL) <> (centre IS NULL)", name="neighbourhood_or_circle"),
        sa.CheckConstraint("centre IS NULL OR radius_m BETWEEN 50 AND 5000", name="sensible_radius"),
    )


def downgrade():
    op.drop_table("watch")
    # PostgreSQL cannot drop one value of an enum; 'digest' stays, unused, which is harmless.
