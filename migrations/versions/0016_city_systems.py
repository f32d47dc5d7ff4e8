"""The city's own systems: reports sent on to a city's Open311 endpoint, and its changes read back.

A department (or, for one kind of problem, a category) chooses how its reports leave seeclick:
by mail as before, not at all (seeclick is the system of record), or by Open311 POST to a
city_system, with the city's service codes in city_service where they differ from ours. Each
report sent has a report_send row written in the statement that makes the report, and a trigger
queues the job that sends it in the same transaction (as the mail outbox does): a report is never
sent without being committed, nor committed without being queued. The row keeps the state staff
see (pending, sent, failed), the attempts, the last error and the city's own id. update_source
records where an update of the timeline came from (an update read from a city's system, or posted
by a client such as a FixMyStreet site) under the outside id, so reading or posting it again adds
nothing. Reports and updates keep the media links a client gave (never fetched), questions the
city's datatype_description, categories whether the city's definition is still to come;
neighbourhood codes may be of any length. report_update gets an index on its time for
servicerequestupdates, which lists a window of updates across all reports.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

send_method = postgresql.ENUM("mail", "open311", "none", name="send_method", create_type=False)
send_state = postgresql.ENUM("pending", "sent", "failed", name="send_state", create_type=False)
city_updates = postgresql.ENUM("servicerequestupdates", "requests", "none", name="city_updates", create_type=False)
IS_OPEN311 = "(send_method IS NOT DISTINCT FROM 'open311') = (city_system_id IS NOT NULL)"


def upgrade():
    for kind in (send_method, send_state, city_updates):
        kind.create(op.get_bind())
    op.execute("ALTER TYPE notification_event ADD VALUE IF NOT EXISTS 'send_failed'")
    op.create_table(
        "city_system",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("api_key", sa.Text, nullable=False, server_default=""),
        sa.Column("jurisdiction_id", sa.String(200), nullable=False, server_default=""),
        sa.Column("format", sa.String(4), nullable=False, server_default="xml"),
        sa.Column("updates", city_updates, nullable=False, server_default="servicerequestupdates"),
        sa.Column("send_contact", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("checked_until", sa.DateTime(timezone=True)),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
        sa.Column("check_failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_check_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("format IN ('xml', 'json')", name="known_format"),
    )
    op.create_table(
        "city_service",
        sa.Column("city_system_id", sa.Integer, sa.ForeignKey("city_system.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("service_code", sa.String(200), nullable=False),
    )
    op.add_column("department", sa.Column("send_method", send_method, nullable=False, server_default="mail"))
    op.add_column("department", sa.Column("city_system_id", sa.Integer, sa.ForeignKey("city_system.id")))
    op.create_check_constraint("open311_has_a_city_system", "department", IS_OPEN311)
    op.add_column("category", sa.Column("send_method", send_method))
    op.add_column("category", sa.Column("city_system_id", sa.Integer, sa.ForeignKey("city_system.id")))
    op.create_check_constraint("open311_has_a_city_system", "category", IS_OPEN311)
    op.add_column("category", sa.Column("definition_pending", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("category_question", sa.Column("datatype_description", sa.Text, nullable=False,
                                                 server_default=""))
    op.add_column("report", sa.Column("media_urls", postgresql.ARRAY(sa.Text), nullable=False,
                                      server_default="{}"))
    op.add_column("report_update", sa.Column("media_urls", postgresql.ARRAY(sa.Text), nullable=False,
                                             server_default="{}"))
    op.create_index("ix_report_update_public_created", "report_update", ["created_at"],
                    postgresql_where=sa.text("public"))
    op.alter_column("neighbourhood", "code", type_=sa.Text, existing_type=sa.String(20))

    op.create_table(
        "report_send",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("city_system_id", sa.Integer, sa.ForeignKey("city_system.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("state", send_state, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("external_id", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("alerted_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("report_id", "city_system_id", name="uq_report_send_report_id"),
        sa.UniqueConstraint("city_system_id", "external_id", name="uq_report_send_city_system_id"),
        sa.CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)", name="sent_has_a_time"),
    )
    op.create_index("ix_report_send_unsent", "report_send", ["created_at"],
                    postgresql_where=sa.text("state <> 'sent'"))
    op.create_table(
        "update_source",
        sa.Column("update_id", sa.BigInteger, sa.ForeignKey("report_update.id"), primary_key=True),
        sa.Column("city_system_id", sa.Integer, sa.ForeignKey("city_system.id", ondelete="CASCADE")),
        sa.Column("api_key_id", sa.BigInteger, sa.ForeignKey("api_key.id", ondelete="CASCADE")),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.CheckConstraint("(city_system_id IS NULL) <> (api_key_id IS NULL)", name="one_source"),
        sa.UniqueConstraint("city_system_id", "external_id", name="uq_update_source_city_system_id"),
        sa.UniqueConstraint("api_key_id", "external_id", name="uq_update_source_api_key_id"),
    )
    op.execute("""
        -- Where a new report of this department and category is sent by Open311: the category's own
        -- method when it has one, else the department's; NULL when it is not sent by Open311.
        -- PL/pgSQL, so that its plan is kept per connection (every submission calls it).
        CREATE FUNCTION send_target(for_department integer, for_category integer) RETURNS integer
        LANGUAGE plpgsql STABLE AS $$
        DECLARE target integer;
        BEGIN
            SELECT CASE WHEN c.send_method IS NOT NULL THEN c.city_system_id ELSE d.city_system_id END
            INTO target FROM department d, category c WHERE d.id = for_department AND c.id = for_category;
            RETURN target;
        END $$;
        CREATE FUNCTION report_send_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW(
                'city', 'send_report', 0, NULL, NULL, jsonb_build_object('send_id', NEW.id), NULL
            )::procrastinate_job_to_defer_v1]);
            RETURN NULL;
        END $$;
        CREATE TRIGGER report_send_enqueue AFTER INSERT ON report_send
            FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION report_send_enqueue();
        CREATE TRIGGER report_send_requeue AFTER UPDATE OF state ON report_send
            FOR EACH ROW WHEN (NEW.state = 'pending' AND OLD.state <> 'pending') EXECUTE FUNCTION report_send_enqueue();
    """)


def downgrade():
    op.execute("DROP TRIGGER report_send_requeue ON report_send")
    op.execute("DROP TRIGGER report_send_enqueue ON report_send")
    op.execute("DROP FUNCTION report_send_enqueue()")
    op.execute("DROP FUNCTION send_target(integer, integer)")
    op.drop_table("update_source")
    op.drop_index("ix_report_send_unsent", table_name="report_send")
    op.drop_table("report_send")
    # Codes longer than 20 characters stop the downgrade here rather than being cut.
    op.alter_column("neighbourhood", "code", type_=sa.String(20), existing_type=sa.Text)
    op.drop_index("ix_report_update_public_created", table_name="report_update")
    op.drop_column("report_update", "media_urls")
    op.drop_column("report", "media_urls")
    op.drop_column("category_question", "datatype_description")
    op.drop_column("category", "definition_pending")
    op.drop_constraint(op.f("ck_category_open311_has_a_city_system"), "category")
    op.drop_column("category", "city_system_id")
    op.drop_column("category", "send_method")
    op.drop_constraint(op.f("ck_department_open311_has_a_city_system"), "department")
    op.drop_column("department", "city_system_id")
    op.drop_column("department", "send_method")
    op.drop_table("city_service")
    op.drop_table("city_system")
    # PostgreSQL cannot drop one value of an enum; 'send_failed' stays, unused, which is harmless.
    for kind in (city_updates, send_state, send_method):
        kind.drop(op.get_bind())
