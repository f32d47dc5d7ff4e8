"""The demo city and the report generator."""

import random
import re
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from seeclick.demo import generate
from seeclick.departments.models import Department
from seeclick.geo import from_db, latlon
from seeclick.reports.models import Report, Status, Update
from seeclick.routing import route


def test_the_demo_city_has_real_agencies_at_their_real_scale(session, departments, categories):
    agencies = Counter(d.agency for d in departments.values())
    # Each agency's city-wide desk plus its local offices.
    assert agencies["dsny"] == 1 + 59 and agencies["nypd"] == 1 + 77 and agencies["dot"] == 1 + 5
    assert 20 <= len(categories) <= 30
    assert all(c.sla_hours > 0 and c.fallback_department_id for c in categories.values())
    no_heat = categories["no-heat"]
    assert [q.code for q in no_heat.questions] == ["apartment", "whole_building"]
    assert no_heat.questions[1].values == [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}]


@pytest.fixture
def generated(session):
    result = generate.generate(3000, seed=5, bad_share=0.05)
    return result


def test_generated_reports_are_routed_like_real_ones(session, generated):
    assert generated.inserted > 2800
    reports = session.scalars(select(Report).order_by(Report.id)).all()
    for report in random.Random(3).sample(reports, 150):
        assert report.department_id == route(report.category_id, latlon(from_db(report.location))).department_id
    assert all(r.neighbourhood_id for r in reports)


def test_impossible_timestamps_are_rejected_and_counted(session, generated):
    rejected = generated.rejected
    assert set(rejected) == {"created in the future", "closed before created", "acknowledged before created"}
    assert all(n > 0 for n in rejected.values())
    assert generated.inserted + sum(rejected.values()) == 3000
    stored = session.scalar(select(func.count()).select_from(Report))
    assert stored == generated.inserted
    assert session.scalar(select(func.count()).where(
        (Report.closed_at < Report.created_at) | (Report.created_at > func.now()))) == 0


def test_lifecycle_times_come_from_the_event_log(session, generated):
    mismatches = session.execute(text("""
        SELECT r.id FROM report r
        LEFT JOIN LATERAL (SELECT max(created_at) AS at FROM report_update u
                           WHERE u.report_id = r.id
                             AND u.new_status IN ('fixed', 'not_fixable', 'duplicate', 'not_ours')) c
          ON true
        LEFT JOIN LATERAL (SELECT min(created_at) AS at FROM report_update u WHERE u.report_id = r.id) a ON true
        WHERE r.closed_at IS DISTINCT FROM c.at OR r.acknowledged_at IS DISTINCT FROM a.at
    """)).all()
    assert mismatches == []
    assert session.scalar(select(func.count()).select_from(Update)) >= session.scalar(
        select(func.count()).where(Report.closed_at.is_not(None)))


def test_close_times_look_like_a_real_citys(session, generated):
    median_days, p90_days, closed_share = session.execute(text("""
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at)) / 86400,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at)) / 86400,
               avg((closed_at IS NOT NULL)::int)
        FROM report
    """)).one()
    assert 1.5 < median_days < 4.5  # NYC 2004-2016: 2.9 days
    assert p90_days > 4 * median_days  # a long tail
    assert 0.75 < closed_share < 0.97
    statuses = Counter(session.scalars(select(Report.status)))
    assert statuses[Status.FIXED] > statuses[Status.NOT_OURS] > 0 and statuses[Status.NEW] > 0


def test_quick_police_complaints_close_faster_than_sidewalks(session, generated, categories):
    def median_hours(code):
        return session.scalar(text("""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at)) / 3600
            FROM report WHERE category_id = :c AND closed_at IS NOT NULL"""), {"c": categories[code].id})
    assert median_hours("noise-residential") < 12 < median_hours("broken-sidewalk")


@pytest.mark.parametrize("args, message", [
    (["demo", "generate", "0"], "0 is not in the range x>=1"),
    (["demo", "generate", "lots"], "'lots' is not a valid integer"),
    (["demo", "generate", "10", "--bad-share", "2"], "2.0 is not in the range 0<=x<=1"),
    (["demo", "load", "--reports", "-5"], "must be zero or more"),
    (["demo", "load", "--reports", "0"], "already loaded; use --replace"),
])
def test_demo_commands_explain_bad_arguments(cli, args, message):
    result = cli.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output


def test_demo_generate_reports_what_it_did(cli, session):
    result = cli.invoke(args=["demo", "generate", "500", "--seed", "9", "--bad-share", "0.1"])
    assert result.exit_code == 0, result.output
    assert "inserted" in result.output and "rejected" in result.output
    inserted = int(result.output.split("inserted ")[1].split(" ")[0].replace(",", ""))
    assert session.scalar(select(func.count()).select_from(Report)) == inserted


def test_demo_load_if_empty_leaves_an_existing_city_alone(cli, session):
    before = session.scalar(select(func.count()).select_from(Department))
    result = cli.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "already loaded" in result.output
    assert session.scalar(select(func.count()).select_from(Department)) == before


def test_demo_load_if_empty_gives_a_city_loaded_before_the_address_search_its_places(cli, session):
    session.execute(text("DELETE FROM address"))
    result = cli.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "added 440 places to the address search" in result.output
    found = cli.invoke(args=["addresses", "find", "11215"])
    assert "ZIP code 11215, Brooklyn" in found.output
    again = cli.invoke(args=["demo", "load", "--if-empty"])
    assert again.output.strip() == "demo city already loaded"


def schema_of(session, table):
    return session.execute(text("""
        SELECT 'index', indexname, indexdef FROM pg_indexes WHERE tablename = :t
        UNION ALL SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = CAST(:t AS regclass) ORDER BY 1, 2"""), {"t": table}).all()


def test_a_bulk_load_restores_every_index_and_foreign_key(session):
    before = {table: schema_of(session, table) for table in ("report", "report_update")}
    messages = []
    result = generate.generate(2000, seed=8, bulk_minimum=0, progress=messages.append)
    assert any(re.match(r"rebuilding \d+ indexes and checking \d+ foreign keys of report$", m) for m in messages)
    assert {table: schema_of(session, table) for table in ("report", "report_update")} == before
    assert session.scalar(select(func.count()).select_from(Report)) == result.inserted
    # The rebuilt indexes are used: a spatial filter goes through the GiST index.
    plan = "\n".join(session.scalars(text(
        "EXPLAIN SELECT id FROM report WHERE location && ST_MakeEnvelope(-74, 40.7, -73.99, 40.71, 4326)")))
    assert "ix_report_location" in plan
    # The map was not told of each report but counted them all once, and hears of the next ones again.
    assert session.scalar(text("SELECT sum(n) FROM map_cell WHERE level = 12 AND category_id = 0 "
                               "AND department_id = 0")) == result.inserted
    assert session.scalar(text("SELECT count(*) FROM map_delta")) == 0
    assert session.scalar(text("SELECT tgenabled FROM pg_trigger WHERE tgname = 'map_delta_insert_delete'")) == "O"


def test_reports_follow_the_citys_local_day_up_to_now(session, generated):
    by_local_hour = dict(session.execute(text("""
        SELECT extract(hour FROM created_at AT TIME ZONE 'America/New_York')::int, count(*)
        FROM report GROUP BY 1""")).all())
    daytime = sum(by_local_hour.get(h, 0) for h in range(9, 18))
    night = sum(by_local_hour.get(h, 0) for h in range(0, 6))
    assert daytime > 5 * night
    newest, oldest = session.execute(text("SELECT now() - max(created_at), now() - min(created_at) FROM report")).one()
    assert newest.total_seconds() > 0 and newest.days < 2 and 360 <= oldest.days <= 367


def test_a_category_served_nowhere_is_left_out_rather_than_failing(session, categories):
    rodents = categories["rodents"]
    rodents.fallback_department_id = None  # no local department and no city-wide desk
    session.flush()
    result = generate.generate(800, seed=4)
    assert result.inserted > 700
    assert session.scalar(select(func.count()).where(Report.category_id == rodents.id)) == 0


def test_a_large_run_is_written_chunk_by_chunk_with_its_progress(session, monkeypatch):
    monkeypatch.setattr(generate, "CHUNK", 700)
    drawn = []
    result = generate.generate(2000, seed=12, bad_share=0.05, advance=drawn.append)
    assert drawn == [700, 700, 600]
    assert result.inserted + sum(result.rejected.values()) == 2000
    ids = session.scalars(select(Report.id)).all()
    assert len(ids) == len(set(ids)) == result.inserted
    assert session.scalar(select(func.count()).select_from(Update)) == result.updates
    # Every closed report's closing is in the event log, whichever chunk it was written in.
    assert session.scalar(text("""
        SELECT count(*) FROM report r WHERE r.closed_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM report_update u WHERE u.report_id = r.id AND u.created_at = r.closed_at)""")) == 0
