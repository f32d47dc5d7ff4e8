"""Foundation: departments, service areas, categories, neighbourhoods, reports, updates, users.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUS = ("new", "acknowledged", "in_progress", "fixed", "not_fixable", "duplicate", "not_ours")
CLOSED = "'duplicate', 'fixed', 'not_fixable', 'not_ours'"


def enum(name, *values):
    return postgresql.ENUM(*values, name=name, create_type=False)


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE SEQUENCE report_public_id_seq START 100001")
    for name, values in (
        ("report_status", STATUS),
        ("report_channel", ("web", "open311", "phone", "email", "import")),
        ("update_kind", ("status", "comment")),
        ("user_role", ("citizen", "staff", "manager", "admin")),
        ("question_datatype", ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")),
    ):
        postgresql.ENUM(*values, name=name).create(op.get_bind())

    op.create_table(
        "department",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(40)),
        sa.PrimaryKeyConstraint("id", name="pk_department"),
        sa.UniqueConstraint("code", name="uq_department_code"),
    )
    op.create_index("ix_department_agency", "department", ["agency"])

    op.create_table(
        "service_area",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("department_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("area_m2", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_service_area"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="CASCADE",
                                name="fk_service_area_department_id_department"),
        sa.CheckConstraint("ST_IsValid(geom)", name="valid_geom"),
    )
    op.create_index("ix_service_area_department_id", "service_area", ["department_id"])
    op.create_index("ix_service_area_geom", "service_area", ["geom"], postgresql_using="gist")

    op.create_table(
        "service_area_part",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("service_area_id", sa.Integer, nullable=False),
        # Copies of the area's department and size, so that a routing lookup needs no join.
        sa.Column("department_id", sa.Integer, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("geom", Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_service_area_part"),
        sa.ForeignKeyConstraint(["service_area_id"], ["service_area.id"], ondelete="CASCADE",
                                name="fk_service_area_part_service_area_id_service_area"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="CASCADE",
                                name="fk_service_area_part_department_id_department"),
    )
    op.create_index("ix_service_area_part_service_area_id", "service_area_part", ["service_area_id"])
    op.create_index("ix_service_area_part_geom", "service_area_part", ["geom"], postgresql_using="gist")

    # Area and subdivided parts follow the geometry whatever writes it (importer, admin, SQL).
    op.execute("""
        CREATE FUNCTION service_area_measure() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.area_m2 := ST_Area(NEW.geom::geography);
            RETURN NEW;
        END $$;
        CREATE TRIGGER service_area_measure BEFORE INSERT OR UPDATE OF geom ON service_area
            FOR EACH ROW EXECUTE FUNCTION service_area_measure();

        CREATE FUNCTION service_area_subdivide() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM service_area_part WHERE service_area_id = NEW.id;
            INSERT INTO service_area_part (service_area_id, department_id, area_m2, geom)
            SELECT NEW.id, NEW.department_id, NEW.area_m2, d.geom
            FROM ST_Subdivide(NEW.geom, 64) AS s(geom), ST_Dump(s.geom) AS d
            WHERE GeometryType(d.geom) = 'POLYGON';
            RETURN NULL;
        END $$;
        CREATE TRIGGER service_area_subdivide AFTER INSERT OR UPDATE OF geom, department_id ON service_area
            FOR EACH ROW EXECUTE FUNCTION service_area_subdivide();
    """)

    op.create_table(
        "category",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("group_name", sa.String(100), nullable=False),
        sa.Column("keywords", postgresql.ARRAY(sa.String(60)), nullable=False),
        sa.Column("sla_hours", sa.Integer, nullable=False),
        sa.Column("fallback_department_id", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_category"),
        sa.UniqueConstraint("code", name="uq_category_code"),
        sa.ForeignKeyConstraint(["fallback_department_id"], ["department.id"], ondelete="SET NULL",
                                name="fk_category_fallback_department_id_department"),
        sa.CheckConstraint("sla_hours > 0", name="positive_sla"),
    )
    op.create_table(
        "department_category",
        sa.Column("department_id", sa.Integer, nullable=False),
        sa.Column("category_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("department_id", "category_id", name="pk_department_category"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="CASCADE",
                                name="fk_department_category_department_id_department"),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], ondelete="CASCADE",
                                name="fk_department_category_category_id_category"),
    )
    op.create_table(
        "category_question",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("category_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("datatype", enum("question_datatype"), nullable=False),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("values", postgresql.JSONB, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_category_question"),
        sa.UniqueConstraint("category_id", "code", name="uq_category_question_code"),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], ondelete="CASCADE",
                                name="fk_category_question_category_id_category"),
    )

    # The routing lookup for one point. PL/pgSQL keeps the plan per connection, so a lookup is
    # not planned again each time (planning cost more than the indexed search itself).
    op.execute("""
        CREATE FUNCTION route_candidates(p_category_id integer, p_lon float8, p_lat float8)
        RETURNS TABLE (category_name varchar, active boolean, fallback_department_id integer,
                       department_id integer, area_m2 float8, handles boolean)
        LANGUAGE plpgsql STABLE AS $$
        #variable_conflict use_column
        BEGIN
            RETURN QUERY
            SELECT c.name, c.active, c.fallback_department_id, h.department_id, h.area_m2, h.handles
            FROM category c
            LEFT JOIN LATERAL (
                SELECT DISTINCT p.department_id, p.area_m2, (dc.category_id IS NOT NULL) AS handles
                FROM service_area_part p
                LEFT JOIN department_category dc ON dc.department_id = p.department_id AND dc.category_id = c.id
                WHERE ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326))
            ) h ON true
            WHERE c.id = p_category_id;
        END $$;
    """)

    op.create_table(
        "neighbourhood",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("borough", sa.String(60), nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_neighbourhood"),
        sa.UniqueConstraint("code", name="uq_neighbourhood_code"),
        sa.CheckConstraint("ST_IsValid(geom)", name="valid_geom"),
    )
    op.create_index("ix_neighbourhood_geom", "neighbourhood", ["geom"], postgresql_using="gist")

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", enum("user_role"), nullable=False),
        sa.Column("department_id", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_account"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name="fk_user_account_department_id_department"),
        sa.CheckConstraint("role NOT IN ('staff', 'manager') OR department_id IS NOT NULL",
                           name="staff_have_department"),
    )
    op.create_index("uq_user_account_email_lower", "user_account", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "report",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("public_id", sa.String(40), server_default=sa.text("(nextval('report_public_id_seq'))::varchar"),
                  nullable=False),
        sa.Column("category_id", sa.Integer, nullable=False),
        sa.Column("department_id", sa.Integer, nullable=False),
        sa.Column("neighbourhood_id", sa.Integer),
        sa.Column("description", sa.Text, server_default="", nullable=False),
        sa.Column("location", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("address", sa.Text, server_default="", nullable=False),
        sa.Column("answers", postgresql.JSONB, server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("status", enum("report_status"), server_default="new", nullable=False),
        sa.Column("channel", enum("report_channel"), server_default="web", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("reporter_name", sa.String(200)),
        sa.Column("reporter_email", sa.String(254)),
        sa.Column("reporter_phone", sa.String(40)),
        sa.Column("show_name", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report"),
        sa.UniqueConstraint("public_id", name="uq_report_public_id"),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name="fk_report_category_id_category"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name="fk_report_department_id_department"),
        sa.ForeignKeyConstraint(["neighbourhood_id"], ["neighbourhood.id"],
                                name="fk_report_neighbourhood_id_neighbourhood"),
        sa.CheckConstraint("acknowledged_at IS NULL OR acknowledged_at >= created_at",
                           name="acknowledged_after_created"),
        sa.CheckConstraint("closed_at IS NULL OR closed_at >= created_at", name="closed_after_created"),
        sa.CheckConstraint(f"(status IN ({CLOSED})) = (closed_at IS NOT NULL)",
                           name="closed_status_has_closed_at"),
    )
    op.create_index("ix_report_location", "report", ["location"], postgresql_using="gist")
    op.create_index("ix_report_department_status", "report", ["department_id", "status"])
    op.create_index("ix_report_created_at", "report", ["created_at"])
    op.create_index("ix_report_category_id", "report", ["category_id"])
    op.create_index("ix_report_neighbourhood_id", "report", ["neighbourhood_id"])

    op.create_table(
        "report_update",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("report_id", sa.BigInteger, nullable=False),
        sa.Column("kind", enum("update_kind"), nullable=False),
        sa.Column("public", sa.Boolean, server_default=sa.true(), nullable=False),
        sa.Column("old_status", enum("report_status")),
        sa.Column("new_status", enum("report_status")),
        sa.Column("body", sa.Text, server_default="", nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_update"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name="fk_report_update_report_id_report"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_report_update_user_id_user_account"),
    )
    op.create_index("ix_report_update_report_created", "report_update", ["report_id", "created_at"])
    op.execute("""
        CREATE FUNCTION report_update_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'report updates are an immutable log: % refused', TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER report_update_immutable BEFORE UPDATE OR DELETE ON report_update
            FOR EACH ROW EXECUTE FUNCTION report_update_immutable();
    """)


def downgrade():
    op.drop_table("report_update")
    op.execute("DROP FUNCTION report_update_immutable()")
    op.drop_table("report")
    op.drop_table("user_account")
    op.drop_table("neighbourhood")
    op.drop_table("category_question")
    op.execute("DROP FUNCTION route_candidates(integer, float8, float8)")
    op.drop_table("department_category")
    op.drop_table("category")
    op.drop_table("service_area_part")
    op.drop_table("service_area")
    op.execute("DROP FUNCTION service_area_measure(); DROP FUNCTION service_area_subdivide()")
    op.drop_table("department")
    for name in ("question_datatype", "user_role", "update_kind", "report_channel", "report_status"):
        postgresql.ENUM(name=name).drop(op.get_bind())
    op.execute("DROP SEQUENCE report_public_id_seq")
