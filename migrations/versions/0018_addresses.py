"""The city's own address points, to find a place by typing its address.

Each row is a point a person may search for: an address (number and street), or, where a city has
no address points yet, a ZIP code area or a neighbourhood (`kind`). `search` holds the row's words
in one spelling (seeclick/addresses/words.py) with a space at each end, in the "C" collation so that
a plain B-tree answers "starts with what was typed" in its own order (the usual case: a number, then
the street); a pg_trgm GIN index answers the "each word, the last one still being typed" LIKE
patterns of the rest.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "address",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default="address"),
        sa.Column("number", sa.Text, nullable=False, server_default=""),
        sa.Column("street", sa.Text, nullable=False, server_default=""),
        sa.Column("unit", sa.Text, nullable=False, server_default=""),
        sa.Column("city", sa.Text, nullable=False, server_default=""),
        sa.Column("district", sa.Text, nullable=False, server_default=""),
        sa.Column("region", sa.Text, nullable=False, server_default=""),
        sa.Column("postcode", sa.Text, nullable=False, server_default=""),
        sa.Column("source_id", sa.Text, nullable=False, server_default=""),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("search", sa.Text(collation="C"), nullable=False),
        sa.Column("point", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.CheckConstraint("kind IN ('address', 'postcode', 'neighbourhood')", name="known_kind"),
    )
    op.execute("CREATE INDEX ix_address_search ON address USING gin (search gin_trgm_ops)")
    op.create_index("ix_address_search_start", "address", ["search"])


def downgrade():
    op.drop_table("address")
