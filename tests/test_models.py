"""Invariants the database itself keeps, whatever code writes to it."""

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from seeclick.accounts.models import Role, User
from seeclick.departments.models import Department, ServiceArea, ServiceAreaPart
from seeclick.geo import LatLon, as_multipolygon, to_db
from seeclick.reports.models import Report, Status, StatusType, Update, UpdateKind


def make_report(session, categories, departments, **overrides):
    values = dict(category=categories["pothole"], department=departments["dot-bk"],
                  location=to_db(LatLon(40.6782, -73.9442).to_point()), description="Deep pothole")
    values.update(overrides)
    report = Report(**values)
    session.add(report)
    session.flush()
    return report


def test_every_status_has_an_open_or_closed_type():
    assert {s: s.type for s in Status} == {
        Status.NEW: StatusType.OPEN, Status.ACKNOWLEDGED: StatusType.OPEN, Status.IN_PROGRESS: StatusType.OPEN,
        Status.FIXED: StatusType.CLOSED, Status.NOT_FIXABLE: StatusType.CLOSED,
        Status.DUPLICATE: StatusType.CLOSED, Status.NOT_OURS: StatusType.CLOSED,
    }


def test_a_report_gets_a_public_tracking_number(session, categories, departments):
    first = make_report(session, categories, departments)
    second = make_report(session, categories, departments)
    session.refresh(first)
    session.refresh(second)
    assert first.public_id.isdigit() and int(second.public_id) > int(first.public_id) >= 100001


def test_a_closed_status_needs_a_closed_time_and_an_open_one_forbids_it(session, categories, departments):
    with pytest.raises(IntegrityError, match="closed_status_has_closed_at"), session.begin_nested():
        make_report(session, categories, departments, status=Status.FIXED)
    with pytest.raises(IntegrityError, match="closed_status_has_closed_at"), session.begin_nested():
        make_report(session, categories, departments, status=Status.NEW, closed_at=datetime.now(UTC))


def test_a_report_cannot_close_before_it_was_made(session, categories, departments):
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError, match="closed_after_created"), session.begin_nested():
        make_report(session, categories, departments, created_at=now, status=Status.FIXED,
                    closed_at=now - timedelta(days=1))


def test_updates_are_an_immutable_log(session, categories, departments):
    report = make_report(session, categories, departments)
    update = Update(report=report, kind=UpdateKind.COMMENT, body="On our list")
    session.add(update)
    session.flush()
    with pytest.raises(DBAPIError, match="immutable"), session.begin_nested():
        session.execute(text("UPDATE report_update SET body = 'rewritten' WHERE id = :id"), {"id": update.id})
    with pytest.raises(DBAPIError, match="immutable"), session.begin_nested():
        session.execute(text("DELETE FROM report_update WHERE id = :id"), {"id": update.id})
    assert session.scalar(select(Update.body).where(Update.id == update.id)) == "On our list"


def test_service_areas_are_measured_and_subdivided_by_the_database(session):
    department = Department(code="t-area", name="T", agency="t")
    square = box(-74.0, 40.70, -73.99, 40.71)  # about 845 m by 1,110 m
    area = ServiceArea(department=department, name="square", geom=to_db(as_multipolygon(square)))
    session.add(area)
    session.flush()
    session.refresh(area)
    assert 0.9e6 < area.area_m2 < 1.0e6
    assert session.scalar(select(func.count()).where(ServiceAreaPart.service_area_id == area.id)) == 1
    # Moving the area moves its parts.
    area.geom = to_db(as_multipolygon(box(-73.90, 40.70, -73.89, 40.71)))
    session.flush()
    part = session.scalar(select(func.ST_XMin(ServiceAreaPart.geom)).where(ServiceAreaPart.service_area_id == area.id))
    assert part == pytest.approx(-73.90)


def test_large_boundaries_are_kept_in_small_pieces(session):
    largest = session.scalar(select(func.max(func.ST_NPoints(ServiceAreaPart.geom))))
    pieces, areas = session.execute(select(func.count(ServiceAreaPart.id), func.count(func.distinct(
        ServiceAreaPart.service_area_id)))).one()
    assert largest <= 64 * 2 and pieces > 5 * areas


def test_staff_must_belong_to_a_department(session):
    user = User(email="crew@example.org", role=Role.STAFF)
    user.set_password("correct horse battery staple")
    session.add(user)
    with pytest.raises(IntegrityError, match="staff_have_department"), session.begin_nested():
        session.flush()


def test_passwords_are_hashed_and_checked(session, departments):
    user = User(email="Dispatcher@Example.org", role=Role.STAFF, department=departments["dot-bk"])
    user.set_password("correct horse battery staple")
    assert user.password_hash.startswith("scrypt:") and "correct" not in user.password_hash
    assert user.check_password("correct horse battery staple") and not user.check_password("wrong")
    session.add(user)
    session.flush()
    twin = User(email="dispatcher@example.org", password_hash="x", role=Role.CITIZEN)
    session.add(twin)
    with pytest.raises(IntegrityError, match="email_lower"), session.begin_nested():
        session.flush()


def test_moving_an_area_to_another_department_moves_its_parts(session, departments):
    area = session.scalars(select(ServiceArea).where(ServiceArea.department_id == departments["dot-bk"].id)).first()
    area.department = departments["dot-qn"]
    session.flush()
    parts = select(ServiceAreaPart.department_id).where(ServiceAreaPart.service_area_id == area.id)
    owners = set(session.scalars(parts))
    assert owners == {departments["dot-qn"].id}
