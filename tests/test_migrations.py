"""Migrations go up from empty, back down to nothing, up again, and agree with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from seeclick import create_app
from seeclick.categories.models import Category
from seeclick.demo import services as demo
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.models import include_object
from seeclick.reports.models import Report
from seeclick.routing import route
from tests.test_publicmap import MONTHS_ADDED_UP, TOTALS

SCRATCH = "seeclick_migrations_test"
TABLES = {"department", "service_area", "service_area_part", "category", "department_category",
          "category_question", "neighbourhood", "report", "report_update", "user_account", "photo",
          "report_support", "follower", "notification", "api_key", "watch", "procrastinate_jobs",
          "procrastinate_events", "procrastinate_periodic_defers", "procrastinate_workers",
          "stats_delta", "stats_state", "stats_count", "stats_histogram", "stats_open", "stats_neighbourhood_category",
          "stats_result", "map_cell", "map_delta", "map_total", "moderation", "report_update_hidden", "flag", "ban",
          "contact_removal", "questionnaire", "reopen_request", "target_history", "job_run",
          "city_system", "city_service", "report_send", "update_source", "address"}


@pytest.fixture
def scratch_app(app):
    """An app on an empty database of its own, dropped afterwards."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}"'))
        conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    scratch = create_app({"TESTING": True,
                          "SQLALCHEMY_DATABASE_URI": url.set(database=SCRATCH).render_as_string(False)})
    try:
        yield scratch
    finally:
        with scratch.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}"'))
        admin.dispose()


def tables(engine):
    return set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}


def test_migrations_go_up_and_down_and_up(scratch_app):
    with scratch_app.app_context():
        upgrade()
        assert TABLES | {"alembic_version"} == tables(db.engine)
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("service_area_part")}
        assert "ix_service_area_part_geom" in indexes
        downgrade(revision="base")
        assert tables(db.engine) == {"alembic_version"}
        with db.engine.connect() as conn:
            leftovers = conn.execute(text(
                "SELECT typname FROM pg_type WHERE typname IN ('report_status', 'user_role', 'notification_event') "
                "OR typname LIKE 'procrastinate%' "
                "UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE 'service_area_%' "
                "OR proname LIKE 'procrastinate%' OR proname LIKE 'map\\_%' OR proname LIKE 'stats\\_%'"
            )).all()
        assert leftovers == []
        upgrade()
        assert TABLES <= tables(db.engine)


def test_check_constraints_carry_the_names_the_models_give_them(scratch_app):
    with scratch_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            names = set(conn.scalars(text(
                "SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace "
                "AND conrelid <> 'spatial_ref_sys'::regclass")))
    assert {"ck_report_closed_status_has_closed_at", "ck_report_not_its_own_duplicate",
            "ck_user_account_staff_have_department", "ck_service_area_valid_geom"} <= names
    assert [n for n in names if n.count("ck_") > 1] == []


def test_the_models_match_the_migrated_schema(scratch_app):
    with scratch_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": include_object})
            differences = compare_metadata(context, db.metadata)
        assert differences == []


MAP_CELLS = text("SELECT level, category_id, department_id, x, y, month, is_open, n FROM map_cell WHERE n <> 0 "
                 "ORDER BY 1, 2, 3, 4, 5, 6, 7")


def report_at(lat, lon):
    pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
    where = LatLon(lat, lon)
    db.session.add(Report(category=pothole, location=to_db(where.to_point()), description="Deep hole",
                          department_id=route(pothole.id, where).department_id))
    db.session.commit()


def stored_and_counted_again():
    """map_cell as it is, and as map_rebuild() counts it from the reports (leaving the database as it was)."""
    stored = db.session.execute(MAP_CELLS).all()
    db.session.commit()
    with db.engine.connect() as conn, conn.begin() as counting:
        conn.execute(text("SELECT map_rebuild()"))
        counted = conn.execute(MAP_CELLS).all()
        counting.rollback()
    return stored, counted


def at_level(level):
    """Reports counted at `level`, all categories and departments."""
    return db.session.scalar(text("SELECT coalesce(sum(n), 0) FROM map_cell WHERE level = :level "
                                  "AND category_id = 0 AND department_id = 0"), {"level": level})


def one_folded_one_pending(revision):
    """The database at `revision` with the demo city and two reports: one in the map's counts, one waiting."""
    upgrade(revision=revision)
    demo.load_city()
    report_at(40.6782, -73.9442)
    db.session.execute(text("SELECT map_fold()"))
    db.session.commit()
    report_at(40.6802, -73.9402)  # recorded, not folded


def test_the_map_counts_go_one_level_deeper_and_back_with_nothing_pending_lost(scratch_app):
    """0020 stores level 17: changes not yet folded at level 16 are counted, and the downgrade keeps them too."""
    with scratch_app.app_context():
        one_folded_one_pending("0019")  # the pending one recorded at level 16
        upgrade()
        assert db.session.scalar(text("SELECT count(*) FROM map_delta")) == 0
        assert at_level(17) == at_level(16) == 2
        stored, counted = stored_and_counted_again()
        assert stored == counted
        report_at(40.6710, -73.9814)  # recorded at level 17, not folded
        downgrade(revision="0019")
        assert at_level(16) == 3 and at_level(17) == 0
        stored, counted = stored_and_counted_again()
        assert stored == counted
        db.session.remove()


def test_the_map_counts_over_all_months_start_from_the_monthly_ones_with_nothing_pending_lost(scratch_app):
    """0021 sums map_total from map_cell after folding what is pending; folds keep both; the downgrade too."""
    with scratch_app.app_context():
        one_folded_one_pending("0020")
        upgrade(revision="0021")
        assert db.session.scalar(text("SELECT count(*) FROM map_delta")) == 0
        totals = db.session.execute(TOTALS).all()
        assert totals == db.session.execute(MONTHS_ADDED_UP).all()
        assert db.session.scalar(text("SELECT sum(n) FROM map_total WHERE level = 12 AND category_id = 0 "
                                      "AND department_id = 0")) == 2
        report_at(40.6710, -73.9814)
        db.session.execute(text("SELECT map_fold()"))  # the new functions add to both
        db.session.commit()
        assert db.session.execute(TOTALS).all() == db.session.execute(MONTHS_ADDED_UP).all() != totals
        report_at(40.6720, -73.9824)  # not folded
        downgrade(revision="0020")
        assert not inspect(db.engine).has_table("map_total") and at_level(17) == 4
        stored, counted = stored_and_counted_again()
        assert stored == counted
        db.session.remove()
