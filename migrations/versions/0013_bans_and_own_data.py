"""Bans, and what the service holds about a reporter: theirs to download and erase, and not kept for ever.

Managers and administrators can refuse reports from an email address, a phone number or a browser
until a date (`ban`). A browser is named by a keyed hash of its token, which each report now keeps
(`report.reporter_browser`): the token itself is never stored, so nobody can read it back.

A reporter can download and erase what is held under their address, and contact details are
removed from reports closed more than SEECLICK_CONTACT_RETENTION_MONTHS ago. `contact_removal`
logs each removal (when, by which rule, how many rows) and nothing personal; `report.contact_removed_at`
marks the reports done, so the hourly rule reads only the closed reports still to do (a partial
index). The other indexes find one address's rows among millions: its reports, follows, watches and
mail, each matched without regard to case.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

now = sa.text("now()")


def upgrade():
    op.add_column("report", sa.Column("reporter_browser", sa.String(64)))
    op.add_column("report", sa.Column("contact_removed_at", sa.DateTime(timezone=True)))
    op.create_index("ix_report_reporter_email", "report", [sa.literal_column("lower(reporter_email)")])
    op.create_index("ix_report_contact_held_closed", "report", ["closed_at"],
                    postgresql_where=sa.text("closed_at IS NOT NULL AND contact_removed_at IS NULL"))
    op.create_index("ix_follower_email", "follower", [sa.literal_column("lower(email)")])
    op.create_index("ix_watch_email", "watch", [sa.literal_column("lower(email)")])
    op.create_index("ix_notification_recipient", "notification", [sa.literal_column("lower(recipient)")])
    op.execute("ALTER TYPE notification_event ADD VALUE IF NOT EXISTS 'own_data'")

    op.create_table(
        "ban",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.Enum("email", "phone", "browser", name="ban_kind"), nullable=False),
        sa.Column("value", sa.String(254), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("created_by_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True)),
        sa.Column("lifted_by_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),
    )
    op.create_index("ix_ban_kind_value", "ban", ["kind", "value"])

    op.create_table(
        "contact_removal",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("rule", sa.Enum("retention", "request", name="contact_removal_rule"), nullable=False),
        sa.Column("months", sa.Integer),
        sa.Column("reports", sa.Integer, nullable=False),
        sa.Column("followers", sa.Integer, nullable=False),
        sa.Column("watches", sa.Integer, nullable=False),
        sa.Column("mails", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("contact_removal")
    op.execute("DROP TYPE contact_removal_rule")
    op.drop_table("ban")
    op.execute("DROP TYPE ban_kind")
    # PostgreSQL cannot drop one value of an enum; 'own_data' stays, unused, which is harmless.
    op.drop_index("ix_notification_recipient", table_name="notification")
    op.drop_index("ix_watch_email", table_name="watch")
    op.drop_index("ix_follower_email", table_name="follower")
    op.drop_index("ix_report_contact_held_closed", table_name="report")
    op.drop_index("ix_report_reporter_email", table_name="report")
    op.drop_column("report", "contact_removed_at")
    op.drop_column("report", "reporter_browser")
