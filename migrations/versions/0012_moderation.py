"""Moderation: what staff take back from the public, citizens' flags, private answers.

A report or a photo is hidden by a reason the public sees (hidden_reason); a note on the
timeline is hidden by a row of report_update_hidden, because the timeline (report_update) is an
immutable log whose trigger refuses every change. Every act of moderation is a row of
`moderation`, with who, when, why and, for a redaction, the text before it (staff only), so an
act can be undone. Citizens flag a report (`flag`), once per person while the flag is open. A
report whose description or address holds what looks like an email address or phone number is
marked for staff (contact_in_text).
A category question can be private (staff only); a category can hold new reports until a
moderator has looked at them; a department can let its staff moderate, not only its managers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

REASONS = ("abuse", "personal_information", "wrong_place", "duplicate", "spam", "reporter_request",
           "awaiting_review", "rules")
ACTS = ("hide_report", "show_report", "redact_description", "redact_address", "restore_description",
        "restore_address", "hide_photo", "show_photo", "hide_note", "show_note")
reason = postgresql.ENUM(*REASONS, name="moderation_reason", create_type=False)
act = postgresql.ENUM(*ACTS, name="moderation_act", create_type=False)
resolution = postgresql.ENUM("upheld", "dismissed", name="flag_resolution", create_type=False)


def upgrade():
    for kind in (reason, act, resolution):
        kind.create(op.get_bind())
    op.add_column("report", sa.Column("hidden_reason", reason))
    op.add_column("report", sa.Column("hidden_at", sa.DateTime(timezone=True)))
    op.create_check_constraint("hidden_has_a_time", "report", "(hidden_reason IS NULL) = (hidden_at IS NULL)")
    op.add_column("report", sa.Column("contact_in_text", sa.Boolean, server_default=sa.false(), nullable=False))
    op.add_column("photo", sa.Column("hidden_reason", reason))
    op.add_column("photo", sa.Column("hidden_at", sa.DateTime(timezone=True)))
    op.create_check_constraint("hidden_has_a_time", "photo", "(hidden_reason IS NULL) = (hidden_at IS NULL)")
    op.add_column("category_question", sa.Column("private", sa.Boolean, server_default=sa.false(), nullable=False))
    op.add_column("category", sa.Column("review_first", sa.Boolean, server_default=sa.false(), nullable=False))
    op.add_column("department", sa.Column("staff_moderate", sa.Boolean, server_default=sa.false(), nullable=False))
    op.create_table(
        "moderation",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("act", act, nullable=False),
        sa.Column("reason", reason),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("photo_id", sa.BigInteger, sa.ForeignKey("photo.id", ondelete="CASCADE")),
        sa.Column("update_id", sa.BigInteger, sa.ForeignKey("report_update.id")),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_index("ix_moderation_report_created", "moderation", ["report_id", "created_at"])
    op.create_table(
        "report_update_hidden",
        sa.Column("update_id", sa.BigInteger, sa.ForeignKey("report_update.id"), primary_key=True),
        sa.Column("reason", reason, nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "flag",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", reason, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("flagger", sa.String(64), nullable=False),
        sa.Column("from_reporter", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolution", resolution),
        sa.Column("resolved_by_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.CheckConstraint("(resolved_at IS NULL) = (resolution IS NULL)", name="resolved_has_a_resolution"),
    )
    op.create_index("ix_flag_open_created", "flag", ["created_at"], postgresql_where=sa.text("resolved_at IS NULL"))
    op.create_index("ix_flag_report_id", "flag", ["report_id"])
    # One open flag a person a report: flagging again adds nothing until the first is resolved.
    op.create_index("uq_flag_open_report_flagger", "flag", ["report_id", "flagger"], unique=True,
                    postgresql_where=sa.text("resolved_at IS NULL"))


def downgrade():
    op.drop_table("flag")
    op.drop_table("report_update_hidden")
    op.drop_index("ix_moderation_report_created", table_name="moderation")
    op.drop_table("moderation")
    op.drop_column("department", "staff_moderate")
    op.drop_column("category", "review_first")
    op.drop_column("category_question", "private")
    op.drop_constraint(op.f("ck_photo_hidden_has_a_time"), "photo")
    op.drop_column("photo", "hidden_at")
    op.drop_column("photo", "hidden_reason")
    op.drop_column("report", "contact_in_text")
    op.drop_constraint(op.f("ck_report_hidden_has_a_time"), "report")
    op.drop_column("report", "hidden_at")
    op.drop_column("report", "hidden_reason")
    for kind in (resolution, act, reason):
        kind.drop(op.get_bind())
