"""The ticket lifecycle on the real database: every change is an event, times come from events."""

import pytest
from sqlalchemy import func, select, text

from seeclick.accounts.models import Role, User
from seeclick.accounts.permissions import NotAllowed
from seeclick.geo import LatLon
from seeclick.reports import services
from seeclick.reports.lifecycle import IllegalTransition
from seeclick.reports.models import Status, Update, UpdateKind


@pytest.fixture
def make_user(session, departments):
    def factory(role=Role.STAFF, department="dot-bk", email=None):
        user = User(email=email or f"{role}-{department}-{session.scalar(select(func.count(User.id)))}@city.example",
                    role=role, department=departments[department] if department else None, name=f"A {role}")
        user.set_password("correct horse battery staple")
        session.add(user)
        session.flush()
        return user

    return factory


@pytest.fixture
def dispatcher(make_user):
    return make_user(Role.STAFF, "dot-bk")


def events(session, report):
    return session.scalars(select(Update).where(Update.report_id == report.id).order_by(Update.id)).all()


def test_acknowledging_is_an_event_and_sets_the_time_from_it(session, make_report, dispatcher):
    report = make_report()
    update = services.acknowledge(report, dispatcher, "A crew will look this week.")
    assert report.status is Status.ACKNOWLEDGED
    assert report.acknowledged_at == update.created_at and report.closed_at is None
    assert (update.kind, update.public, update.old_status, update.new_status, update.user) == (
        UpdateKind.STATUS, True, Status.NEW, Status.ACKNOWLEDGED, dispatcher)


def test_closing_needs_a_public_note_and_takes_its_time_from_the_event(session, make_report, dispatcher):
    report = make_report()
    with pytest.raises(services.MissingNote, match="closing note"):
        services.close(report, dispatcher, Status.FIXED, "   ")
    assert report.status is Status.NEW and events(session, report) == []
    update = services.close(report, dispatcher, Status.FIXED, "Filled and rolled.")
    assert report.status is Status.FIXED and report.closed_at == update.created_at
    # Closing without acknowledging first still counts as the first answer.
    assert report.acknowledged_at == update.created_at


def test_not_ours_always_says_who_it_went_to(session, make_report, dispatcher):
    report = make_report()
    with pytest.raises(services.MissingNote, match="always says who"):
        services.close(report, dispatcher, Status.NOT_OURS, "Utility cut.")
    update = services.close(report, dispatcher, Status.NOT_OURS, "Utility cut.", referred_to="Con Edison")
    assert update.body == "Passed to Con Edison. Utility cut."


def test_reopening_clears_the_close_but_keeps_the_first_answer(session, make_report, dispatcher):
    report = make_report()
    services.acknowledge(report, dispatcher)
    acknowledged = report.acknowledged_at
    services.close(report, dispatcher, Status.FIXED, "Done.")
    with pytest.raises(services.MissingNote):
        services.reopen(report, dispatcher, "")
    services.reopen(report, dispatcher, "The patch sank again.")
    assert report.status is Status.ACKNOWLEDGED and report.closed_at is None
    assert report.acknowledged_at == acknowledged
    assert [(e.old_status, e.new_status) for e in events(session, report)] == [
        (Status.NEW, Status.ACKNOWLEDGED), (Status.ACKNOWLEDGED, Status.FIXED), (Status.FIXED, Status.ACKNOWLEDGED)]


def test_an_illegal_action_is_refused_and_changes_nothing(session, make_report, dispatcher):
    report = make_report()
    services.close(report, dispatcher, Status.FIXED, "Done.")
    version = report.version
    with pytest.raises(IllegalTransition, match="“fixed” cannot be merged"):
        services.merge(report, make_report(), dispatcher)
    session.flush()
    session.refresh(report)
    assert (report.status, report.duplicate_of_id, report.version) == (Status.FIXED, None, version)
    assert len(events(session, report)) == 1


def test_reassigning_goes_only_to_a_department_that_can_act(session, make_report, make_user, dispatcher,
                                                              departments):
    report = make_report()
    with pytest.raises(IllegalTransition, match="does not handle “Pothole”"):
        services.reassign(report, dispatcher, departments["hpd-bk"], "Wrong office")
    with pytest.raises(services.MissingNote):
        services.reassign(report, dispatcher, departments["dot-qn"], "")
    update = services.reassign(report, dispatcher, departments["dot-qn"], "It is across the borough line.")
    assert report.department == departments["dot-qn"] and report.status is Status.NEW
    assert (update.kind, update.public, update.from_department, update.to_department) == (
        UpdateKind.REASSIGN, True, departments["dot-bk"], departments["dot-qn"])
    # Now it is theirs, not ours.
    with pytest.raises(NotAllowed):
        services.acknowledge(report, dispatcher)
    # The city-wide desk (the fallback) can always take it.
    services.reassign(report, make_user(Role.ADMIN, None), departments["dot"], "Central office")
    assert report.department == departments["dot"]


def test_merging_links_the_duplicate_to_the_original_and_tells_both(session, make_report, dispatcher):
    original, first_copy, second_copy = make_report(), make_report(), make_report()
    services.merge(first_copy, original, dispatcher)
    services.merge(second_copy, first_copy, dispatcher)  # a duplicate of a duplicate: goes to the original
    session.refresh(original)
    for copy in (first_copy, second_copy):
        assert (copy.status, copy.duplicate_of) == (Status.DUPLICATE, original)
        assert copy.closed_at is not None
        assert f"#{original.public_id}" in events(session, copy)[-1].body
    notes = [e.body for e in events(session, original)]
    assert notes == [f"Report #{first_copy.public_id} was merged into this one.",
                     f"Report #{second_copy.public_id} was merged into this one."]
    with pytest.raises(IllegalTransition, match="itself"):
        services.merge(original, original, dispatcher)
    services.reopen(first_copy, dispatcher, "Not the same hole after all.")
    assert first_copy.duplicate_of is None and first_copy.status is Status.ACKNOWLEDGED


def test_internal_notes_stay_internal(session, make_report, dispatcher):
    report = make_report()
    note = services.add_note(report, dispatcher, "Crew 4 has the cold patch.", public=False)
    comment = services.add_note(report, dispatcher, "Scheduled for Tuesday.", public=True)
    assert (note.public, comment.public) == (False, True) and report.status is Status.NEW


@pytest.mark.parametrize("role, department, allowed", [
    (None, None, False),
    (Role.CITIZEN, None, False),
    (Role.STAFF, "dot-qn", False),
    (Role.MANAGER, "dot-qn", False),
    (Role.STAFF, "dot-bk", True),
    (Role.MANAGER, "dot-bk", True),
    (Role.ADMIN, None, True),
])
def test_only_the_reports_department_and_admins_may_act(session, make_report, make_user, role, department, allowed):
    report = make_report()
    actor = make_user(role, department) if role else None
    if allowed:
        services.acknowledge(report, actor)
        assert report.status is Status.ACKNOWLEDGED
    else:
        with pytest.raises(NotAllowed):
            services.acknowledge(report, actor)
        assert report.status is Status.NEW and events(session, report) == []


def test_a_change_from_a_stale_page_is_refused(session, make_report, dispatcher):
    report = make_report()
    seen = report.version
    services.acknowledge(report, dispatcher)  # a colleague got there first
    with pytest.raises(services.StaleReport, match="Someone else changed this report"):
        services.close(report, dispatcher, Status.FIXED, "Done.", expected_version=seen)
    assert report.status is Status.ACKNOWLEDGED


def test_two_dispatchers_closing_at_once_one_wins_and_the_other_is_told(session, make_report, dispatcher):
    report = make_report()
    # The other dispatcher's close lands in the database between our read and our write.
    session.execute(text("UPDATE report SET version = version + 1, status = 'fixed', closed_at = now(), "
                         "acknowledged_at = now() WHERE id = :id"), {"id": report.id})
    with pytest.raises(services.StaleReport), session.begin_nested():
        services.close(report, dispatcher, Status.NOT_FIXABLE, "Cannot reach it.")
    # The winner's close stands; nothing of the loser's was written.
    assert session.execute(text("SELECT status FROM report WHERE id = :id"), {"id": report.id}).scalar() == "fixed"
    assert session.scalar(select(func.count()).where(Update.report_id == report.id)) == 0


def test_merging_into_another_departments_report_is_refused(session, make_report, dispatcher):
    mine = make_report()
    theirs = make_report(where=LatLon(40.7282, -73.7949))  # Queens: DOT Queens
    with pytest.raises(NotAllowed):
        services.merge(mine, theirs, dispatcher)
    assert mine.status is Status.NEW and events(session, theirs) == []


def test_merging_into_a_closed_report_is_refused(session, make_report, dispatcher):
    original, copy = make_report(), make_report()
    services.close(original, dispatcher, Status.NOT_FIXABLE, "Private road.")
    with pytest.raises(IllegalTransition, match=f"#{original.public_id} is closed"):
        services.merge(copy, original, dispatcher)


def test_a_merge_bumps_the_originals_version_so_crossed_merges_cannot_both_win(session, make_report, dispatcher):
    original, copy = make_report(), make_report()
    before = original.version
    services.merge(copy, original, dispatcher)
    assert original.version == before + 1


def test_a_merge_cycle_is_refused_not_followed_forever(session, make_report, dispatcher):
    a, b, c = make_report(), make_report(), make_report()
    # A cycle that only a race could have made, written behind the services' back.
    session.execute(text("UPDATE report SET status = 'duplicate', closed_at = now(), duplicate_of_id = :b "
                         "WHERE id = :a"), {"a": a.id, "b": b.id})
    session.execute(text("UPDATE report SET status = 'duplicate', closed_at = now(), duplicate_of_id = :a "
                         "WHERE id = :b"), {"a": a.id, "b": b.id})
    session.expire_all()
    with pytest.raises(IllegalTransition, match="already merged into each other"):
        services.merge(c, a, dispatcher)


def test_nearby_reports_due_east_or_north_right_at_the_edge_are_offered(session, make_report, categories):
    import math

    from seeclick.geo import LatLon
    from seeclick.reports.queries import SPHERE_METRES_PER_DEGREE, nearby_open
    from tests.conftest import CROWN_HEIGHTS

    per_degree_east = SPHERE_METRES_PER_DEGREE * math.cos(math.radians(CROWN_HEIGHTS.lat))
    east = make_report(where=LatLon(CROWN_HEIGHTS.lat, CROWN_HEIGHTS.lon + 999.8 / per_degree_east))
    north = make_report(where=LatLon(CROWN_HEIGHTS.lat + 999.8 / SPHERE_METRES_PER_DEGREE, CROWN_HEIGHTS.lon))
    make_report(where=LatLon(CROWN_HEIGHTS.lat, CROWN_HEIGHTS.lon + 1000.5 / per_degree_east))  # just beyond
    found = nearby_open(categories["pothole"].id, CROWN_HEIGHTS, 1000)  # a watched circle is up to 1 km
    assert {n.report.id for n in found} == {east.id, north.id}
