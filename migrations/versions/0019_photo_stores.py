"""Photos out of the database: each row names the store its bytes are in and their key there.

Existing rows stay in the "database" location (image and thumbnail in the row, as before) until
`flask photos move` takes them elsewhere; new photos go to the configured store, so their image and
thumbnail columns are NULL. The check says each row's bytes are somewhere it can name.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BYTES_SOMEWHERE = ("CASE WHEN store = 'database' THEN image IS NOT NULL AND thumbnail IS NOT NULL "
                   "ELSE key IS NOT NULL END")


def upgrade():
    op.add_column("photo", sa.Column("store", sa.String(16), server_default="database", nullable=False))
    op.add_column("photo", sa.Column("key", sa.String(40), nullable=True))
    op.create_unique_constraint("uq_photo_key", "photo", ["key"])
    op.alter_column("photo", "image", nullable=True)
    op.alter_column("photo", "thumbnail", nullable=True)
    op.create_check_constraint("bytes_somewhere", "photo", BYTES_SOMEWHERE)


def downgrade():
    # Only possible once every photo is back in the database (`flask photos move --to database`).
    op.drop_constraint(op.f("ck_photo_bytes_somewhere"), "photo")
    op.alter_column("photo", "thumbnail", nullable=False)
    op.alter_column("photo", "image", nullable=False)
    op.drop_constraint("uq_photo_key", "photo")
    op.drop_column("photo", "key")
    op.drop_column("photo", "store")
