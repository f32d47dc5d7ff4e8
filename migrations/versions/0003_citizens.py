"""Citizens: photos, support, followers, the notification outbox and the job queue.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

now = sa.text("now()")


def upgrade():
    op.add_column("report", sa.Column("submission_key", sa.String(64)))
    op.create_unique_constraint("uq_report_submission_key", "report", ["submission_key"])
    op.add_column("report", sa.Column("location_approximate", sa.Boolean, server_default=sa.text("false"),
                                      nullable=False))
    # "Is it one of these?": open reports near a point, before a citizen files a duplicate.
    op.create_index("ix_report_open_location", "report", ["location"], postgresql_using="gist",
                    postgresql_where=sa.text("closed_at IS NULL"))

    # "Reports like this here are usually fixed within ...": the latest closed, by department and category.
    op.create_index("ix_report_closed_by_department_category", "report", ["department_id", "category_id", "closed_at"],
                    postgresql_where=sa.text("closed_at IS NOT NULL"))

    op.create_table(
        "photo",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("token", sa.String(40), nullable=False, unique=True),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE")),
        sa.Column("update_id", sa.BigInteger, sa.ForeignKey("report_update.id")),
        sa.Column("image", sa.LargeBinary, nullable=False),
        sa.Column("thumbnail", sa.LargeBinary, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.CheckConstraint("update_id IS NULL OR report_id IS NOT NULL", name="after_photo_has_report"),
    )
    op.create_index("ix_photo_report_id", "photo", ["report_id"])
    op.create_index("ix_photo_staged_created_at", "photo", ["created_at"],
                    postgresql_where=sa.text("report_id IS NULL"))
    # JPEG does not compress: store it out of line as it is rather than trying.
    op.execute("ALTER TABLE photo ALTER COLUMN image SET STORAGE EXTERNAL, "
               "ALTER COLUMN thumbnail SET STORAGE EXTERNAL")

    op.create_table(
        "report_support",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("supporter", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.UniqueConstraint("report_id", "supporter"),
    )

    op.create_table(
        "follower",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("token", sa.String(40), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
    )
    op.create_index("uq_follower_report_email", "follower", ["report_id", sa.literal_column("lower(email)")],
                    unique=True)

    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("event", sa.Enum("submitted", "update", "assigned", "confirm", name="notification_event"),
                  nullable=False),
        sa.Column("event_key", sa.String(80), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE")),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, server_default="0", nullable=False),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("event_key", "recipient"),
    )
    op.create_index("ix_notification_report_id", "notification", ["report_id"])
    op.create_index("ix_notification_unsent", "notification", ["created_at"],
                    postgresql_where=sa.text("sent_at IS NULL"))

    # The job queue's own tables and functions (procrastinate, pinned in setup.cfg). A newer
    # procrastinate brings SQL migrations of its own: apply them in a migration of ours.
    # Executed without parameters so its % signs reach PostgreSQL as written.
    cursor = op.get_bind().connection.cursor()
    cursor.execute(SchemaManager.get_schema())
    cursor.close()

    # Each new outbox row queues its delivery job in the same transaction: a change committed
    # always has its mail queued, a change rolled back never does, whichever process wrote it.
    op.execute("""
        CREATE FUNCTION notification_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW(
                'mail', 'send_notification', 0, NULL, NULL,
                jsonb_build_object('notification_id', NEW.id), NULL
            )::procrastinate_job_to_defer_v1]);
            RETURN NULL;
        END $$;
        CREATE TRIGGER notification_enqueue AFTER INSERT ON notification
            FOR EACH ROW EXECUTE FUNCTION notification_enqueue();
    """)


def downgrade():
    op.execute("DROP TRIGGER notification_enqueue ON notification")
    op.execute("DROP FUNCTION notification_enqueue()")
    op.execute("""
        DO $$
        DECLARE item record;
        BEGIN
            FOR item IN SELECT oid::regprocedure AS sig FROM pg_proc WHERE proname LIKE 'procrastinate\\_%' LOOP
                EXECUTE 'DROP FUNCTION ' || item.sig || ' CASCADE';
            END LOOP;
        END $$;
    """)
    for table in ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
                  "procrastinate_workers"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for kind in ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status"):
        op.execute(f"DROP TYPE IF EXISTS {kind} CASCADE")
    op.drop_table("notification")
    op.execute("DROP TYPE notification_event")
    op.drop_table("follower")
    op.drop_table("report_support")
    op.drop_table("photo")
    op.drop_index("ix_report_closed_by_department_category", table_name="report")
    op.drop_index("ix_report_open_location", table_name="report")
    op.drop_column("report", "location_approximate")
    op.drop_constraint("uq_report_submission_key", "report")
    op.drop_column("report", "submission_key")
