"""The staff pages over HTTP: who may see and do what, the queue, and acting on a ticket."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from seeclick.geo import LatLon
from seeclick.reports.models import Status, Update
from tests.conftest import csrf_token as token

PASSWORD = "correct horse battery staple"


# --- who may do what ------------------------------------------------------------------------

ROLES = [  # role, department, what a ticket of dot-bk answers
    (None, None, "login"),
    ("citizen", None, 403),
    ("staff", "dot-qn", 403),
    ("manager", "dot-qn", 403),
    ("staff", "dot-bk", 200),
    ("manager", "dot-bk", 200),
    ("admin", None, 200),
]


@pytest.mark.parametrize("role, department, expected", ROLES, ids=lambda v: str(v))
@pytest.mark.parametrize("method, path", [
    ("GET", "/staff/"), ("GET", "/staff/queue"), ("GET", "/staff/reports/{id}"),
    ("POST", "/staff/reports/{id}/acknowledge"), ("POST", "/staff/reports/{id}/notes"),
    ("POST", "/staff/queue/acknowledge"),
])
def test_every_staff_url_with_every_role(client, session, login_as, make_report, role, department, expected,
                                         method, path):
    report = make_report()
    if role:
        login_as(role, department)
    url = path.format(id=report.public_id)
    if method == "GET":
        response = client.get(url)
    else:
        csrf = token(client, "/login") if not role else token(client, "/")
        response = client.post(url, data={"csrf_token": csrf, "note": "On it", "report": report.public_id,
                                          "version": report.version, "department": report.department_id})
    if expected == "login":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    elif role == "citizen":
        assert response.status_code == 403
    elif "{id}" in path:
        assert response.status_code in ((200, 302) if expected == 200 else (403,))
    else:  # the queue: staff of any department see their own; bulk acknowledgement only touches their own
        assert response.status_code in (200, 302)
    session.refresh(report)
    if expected != 200:  # nobody outside the department changed it, whatever they sent
        assert report.status is Status.NEW
    elif method == "POST" and path.endswith("acknowledge"):
        assert report.status is Status.ACKNOWLEDGED


def test_staff_of_another_department_cannot_acknowledge_in_bulk(client, login_as, make_report, session):
    report = make_report()
    login_as("staff", "dot-qn")
    client.post("/staff/queue/acknowledge", data={"csrf_token": token(client, "/staff/queue"),
                                                  "report": report.public_id, "department": report.department_id})
    session.refresh(report)
    assert report.status is Status.NEW


# --- the queue ------------------------------------------------------------------------------

def test_the_queue_lists_the_departments_open_tickets_with_overdue_ones_marked(client, login_as, make_report,
                                                                                  categories):
    mine = make_report(description="Crater by the school")
    late = make_report(description="Old hole", due_at=datetime.now(UTC) - timedelta(days=1))
    elsewhere = make_report(where=LatLon(40.7282, -73.7949), description="Queens hole")  # dot-qn
    closed = make_report(description="Done already", status=Status.FIXED, closed_at=datetime.now(UTC))
    login_as("staff", "dot-bk")
    page = client.get("/staff/queue").get_data(as_text=True)
    assert f"#{mine.public_id}" in page and f"#{late.public_id}" in page
    assert f"#{elsewhere.public_id}" not in page and f"#{closed.public_id}" not in page
    row = re.search(rf'<tr class="([^"]*)">\s*<td>[^<]*<input[^>]*value="{late.public_id}"', page)
    assert row and row[1] == "overdue"
    overdue_only = client.get("/staff/queue?overdue=y").get_data(as_text=True)
    assert f"#{late.public_id}" in overdue_only and f"#{mine.public_id}" not in overdue_only


def test_queue_filters_that_make_no_sense_are_explained_not_applied(client, login_as, make_report):
    make_report()
    login_as("staff", "dot-bk")
    response = client.get("/staff/queue?older_than=soon&status=exploded")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Not a valid integer value." in page and "Not a valid choice." in page
    assert "1 open ticket matches." in page


def test_wtforms_own_messages_are_in_the_readers_language_one_request_after_another(client, login_as, make_report):
    """WTForms' catalogue is read once per language: each request still gets its reader's."""
    make_report()
    login_as("staff", "dot-bk")
    for language, words in (("es", ("No es un valor entero válido.", "Opción inválida.")),
                            ("en", ("Not a valid integer value.", "Not a valid choice.")),
                            ("zh-Hans", ("不是有效的整数。",)), ("es", ("No es un valor entero válido.",))):
        page = client.get("/staff/queue?older_than=soon&status=exploded",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        assert all(word in page for word in words), (language, words)


def test_bulk_acknowledge_touches_only_new_tickets(client, login_as, make_report, session):
    first, second = make_report(), make_report()
    login_as("staff", "dot-bk")
    response = client.post("/staff/queue/acknowledge", data={
        "csrf_token": token(client, "/staff/queue"), "report": [first.public_id, second.public_id, "999999999"]})
    assert response.status_code == 302
    session.refresh(first)
    session.refresh(second)
    assert first.status is second.status is Status.ACKNOWLEDGED
    assert "Acknowledged 2 reports." in client.get("/staff/queue").get_data(as_text=True)


def test_a_new_ticket_counts_at_once_and_one_closed_leaves_the_count(client, login_as, make_report, session):
    first = make_report()
    login_as("staff", "dot-bk")
    assert "1 open ticket matches." in client.get("/staff/queue").get_data(as_text=True)
    make_report()
    assert "2 open tickets match." in client.get("/staff/queue").get_data(as_text=True)
    first.status, first.closed_at = Status.FIXED, datetime.now(UTC)
    session.flush()
    assert "1 open ticket matches." in client.get("/staff/queue").get_data(as_text=True)


def test_a_long_queue_says_more_than_and_counts_exactly_from_a_deep_page(client, login_as, make_report,
                                                                          monkeypatch):
    from seeclick.staff import queries

    tickets = [make_report(description=f"Hole {i}") for i in range(3)]
    monkeypatch.setattr(queries, "PAGE_SIZE", 1)
    monkeypatch.setattr(queries, "COUNT_LIMIT", 2)
    login_as("staff", "dot-bk")
    first = client.get("/staff/queue").get_data(as_text=True)
    assert "More than 2 open tickets match: narrow the filter to count them." in first
    assert "Page 1 of more than 2" in first and ">Next</a>" in first
    assert f"#{tickets[0].public_id}" in first and f"#{tickets[1].public_id}" not in first  # oldest first
    second = client.get("/staff/queue?page=2").get_data(as_text=True)
    assert "Page 2 of more than 2" in second and ">Next</a>" in second and f"#{tickets[1].public_id}" in second
    last = client.get("/staff/queue?page=3").get_data(as_text=True)  # counted to the end of its own page
    assert "3 open tickets match." in last and "Page 3 of 3" in last and ">Next</a>" not in last
    assert f"#{tickets[2].public_id}" in last
    narrowed = client.get("/staff/queue?older_than=1").get_data(as_text=True)  # none is a day old
    assert "Nothing open matches these filters." in narrowed and "0 open tickets match." in narrowed


def test_the_filter_offers_every_neighbourhood_and_keeps_the_one_chosen(client, login_as, make_report, session):
    from seeclick.neighbourhoods.models import Neighbourhood

    hoods = session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)).all()
    crown, other = next(n for n in hoods if n.code == "BK0802"), next(n for n in hoods if n.code != "BK0802")
    here = make_report(neighbourhood_id=crown.id)
    there = make_report(neighbourhood_id=other.id)
    login_as("staff", "dot-bk")
    page = client.get(f"/staff/queue?neighbourhood={crown.id}").get_data(as_text=True)
    select_ = re.search(r'<select id="neighbourhood" name="neighbourhood">(.*?)</select>', page, re.S)[1]
    offered = re.findall(r'<option (selected )?value="(\d+)">([^<]*)</option>', select_)
    assert [(int(value), unescape(name)) for _, value, name in offered[1:]] == [(n.id, n.name) for n in hoods]
    assert [int(value) for chosen, value, _ in offered if chosen] == [crown.id]
    assert f"#{here.public_id}" in page and f"#{there.public_id}" not in page
    again = client.get(f"/staff/queue?neighbourhood={other.id}").get_data(as_text=True)  # the same options, kept
    assert re.findall(r'<option selected value="(\d+)"', again) == [str(other.id)]
    assert f"#{there.public_id}" in again and f"#{here.public_id}" not in again


def test_a_renamed_neighbourhood_shows_its_new_name_in_the_filter_at_once(client, login_as, session):
    from seeclick.neighbourhoods.models import Neighbourhood

    def offered(page):
        return re.findall(r'<option value="(\d+)">([^<]*)</option>', page.split('name="neighbourhood">')[1])

    login_as("staff", "dot-bk")
    hood = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    before = offered(client.get("/staff/queue").get_data(as_text=True))
    assert (str(hood.id), "Crown Heights (North)") in before
    hood.name = "Crown Heights (North Crown)"  # a new name in the same place among the others
    session.flush()
    after = offered(client.get("/staff/queue").get_data(as_text=True))
    assert [value for value, _ in after] == [value for value, _ in before]
    assert (str(hood.id), "Crown Heights (North Crown)") in after
    assert (str(hood.id), "Crown Heights (North)") not in after


def test_the_filter_is_written_as_wtforms_writes_it_in_the_readers_language(app, client, login_as):
    from wtforms.widgets import Select

    from seeclick.staff.forms import QueueFilterForm

    login_as("staff", "dot-bk")
    spanish = client.get("/staff/queue?lang=es").get_data(as_text=True)
    english = client.get("/staff/queue?lang=en").get_data(as_text=True)
    assert "Cualquier vecindario" in spanish and "Any neighbourhood" not in spanish  # kept apart by language
    assert "Any neighbourhood" in english and "Cualquier vecindario" not in english
    with app.test_request_context("/staff/queue?status=new&sort=due") as context:
        form = QueueFilterForm(context.request.args)
        form.status.choices = [("", "Any"), ("new", "New <b>"), ("acknowledged", "Acknowledged")]
        for _ in range(2):  # written, then from what was kept
            assert form.status() == Select()(form.status) and form.sort() == Select()(form.sort)
        assert 'selected value="new">New &lt;b&gt;</option>' in form.status()


def test_an_administrator_chooses_the_department(client, login_as, make_report, departments):
    queens = make_report(where=LatLon(40.7282, -73.7949), description="Queens hole")  # dot-qn
    brooklyn = make_report()
    login_as("admin")
    page = client.get(f"/staff/queue?department={departments['dot-qn'].id}").get_data(as_text=True)
    assert f"#{queens.public_id}" in page and f"#{brooklyn.public_id}" not in page
    offered = re.search(r'<select id="department" name="department">(.*?)</select>', page, re.S)[1]
    assert re.findall(r'<option selected value="(\d+)"', offered) == [str(departments["dot-qn"].id)]
    assert offered.count("<option") == len(departments)


def test_staff_are_offered_no_other_department(client, login_as, make_report, departments):
    queens = make_report(where=LatLon(40.7282, -73.7949), description="Queens hole")  # dot-qn
    login_as("staff", "dot-bk")
    page = client.get(f"/staff/queue?department={departments['dot-qn'].id}").get_data(as_text=True)
    filters = re.search(r'<form class="filters".*?</form>', page, re.S)[0]
    assert f"#{queens.public_id}" not in page and 'name="department"' not in filters
    assert "Open tickets: " + departments["dot-bk"].name in page


# --- the ticket -----------------------------------------------------------------------------

def act(client, report, action, **data):
    page = f"/staff/reports/{report.public_id}"
    return client.post(f"{page}/{action}", data={"csrf_token": token(client, page), "version": report.version,
                                                   **data})


def test_a_dispatcher_acknowledges_and_closes_with_a_note(client, login_as, make_report, session):
    report = make_report()
    login_as("staff", "dot-bk")
    assert act(client, report, "acknowledge", note="Crew booked").status_code == 302
    session.refresh(report)
    assert act(client, report, "close", resolution="fixed", note="Filled and rolled").status_code == 302
    session.refresh(report)
    assert report.status is Status.FIXED and report.closed_at is not None
    page = client.get(f"/staff/reports/{report.public_id}").get_data(as_text=True)
    assert "Filled and rolled" in page and "Closed. The closing note is on the public timeline." in page


def test_an_after_photo_is_the_public_proof_of_the_work(client, login_as, make_report, session):
    import io

    from tests.test_photos import gps_ifd, phone_jpeg

    report = make_report()
    login_as("staff", "dot-bk")
    page = f"/staff/reports/{report.public_id}"
    refused = client.post(f"{page}/close", content_type="multipart/form-data", data={
        "csrf_token": token(client, page), "version": report.version, "resolution": "fixed", "note": "Patched",
        "after_photo": (io.BytesIO(b"not an image"), "after.txt")})
    assert refused.status_code == 422 and 'id="after_photo-errors"' in refused.get_data(as_text=True)
    session.refresh(report)
    assert report.status is Status.NEW  # a bad photo closes nothing

    closed = client.post(f"{page}/close", content_type="multipart/form-data", data={
        "csrf_token": token(client, page), "version": report.version, "resolution": "fixed", "note": "Patched",
        "after_photo": (io.BytesIO(phone_jpeg(gps=gps_ifd(40.6782, -73.9442))), "after.jpg")})
    assert closed.status_code == 302
    public = client.get(f"/reports/{report.public_id}").get_data(as_text=True)
    [token_] = re.findall(r'<img class="after-photo"\s+src="/photos/([^/]+)/thumb.jpg"', public)
    served = client.get(f"/photos/{token_}.jpg")
    assert served.status_code == 200 and b"Exif" not in served.data


def test_closing_without_a_note_is_explained_next_to_the_note(client, login_as, make_report, session):
    report = make_report()
    login_as("staff", "dot-bk")
    response = act(client, report, "close", resolution="fixed", note="  ")
    assert response.status_code == 422
    assert re.search(r'id="note-errors"><li>Write a closing note', response.get_data(as_text=True))
    session.refresh(report)
    assert report.status is Status.NEW


def test_a_stale_page_is_refused_and_what_was_written_is_kept(client, login_as, make_report, session):
    report = make_report()
    login_as("staff", "dot-bk")
    stale_version = report.version
    act(client, report, "acknowledge")
    page = f"/staff/reports/{report.public_id}"
    response = client.post(f"{page}/close", data={"csrf_token": token(client, page), "version": stale_version,
                                                  "resolution": "fixed", "note": "All patched up"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone else changed this report" in body and "All patched up" in body
    session.refresh(report)
    assert report.status is Status.ACKNOWLEDGED


def test_reassigning_needs_a_department_that_handles_the_category(client, login_as, make_report, session,
                                                                  departments):
    report = make_report()
    login_as("staff", "dot-bk")
    refused = act(client, report, "reassign", department=departments["hpd-bk"].id, note="Housing's")
    assert refused.status_code == 422 and "Choose a department that handles this category" in refused.get_data(
        as_text=True)
    assert act(client, report, "reassign", department=departments["dot-qn"].id,
               note="Across the line").status_code == 302
    session.refresh(report)
    assert report.department == departments["dot-qn"]
    # It has left the department: its old staff can no longer open it.
    assert client.get(f"/staff/reports/{report.public_id}").status_code == 403


def test_merging_by_tracking_number(client, login_as, make_report, session):
    original, copy = make_report(), make_report()
    login_as("staff", "dot-bk")
    missing = act(client, copy, "merge", original="#123")
    assert missing.status_code == 422 and "no report with that tracking number" in missing.get_data(as_text=True)
    assert act(client, copy, "merge", original=f"#{original.public_id}").status_code == 302
    session.refresh(copy)
    assert copy.status is Status.DUPLICATE and copy.duplicate_of_id == original.id


def test_internal_notes_are_marked_internal(client, login_as, make_report, session):
    report = make_report()
    login_as("staff", "dot-bk")
    page = f"/staff/reports/{report.public_id}"
    client.post(f"{page}/notes", data={"csrf_token": token(client, page), "note": "Key is with the super"})
    note = session.scalar(select(Update).where(Update.report_id == report.id))
    assert note.public is False
    assert re.search(r'class="internal">.*?Internal.*?Key is with the super', client.get(page).get_data(as_text=True),
                     re.S)


def test_an_unknown_action_is_not_found(client, login_as, make_report):
    report = make_report()
    login_as("staff", "dot-bk")
    assert act(client, report, "explode").status_code == 404


def test_actions_without_a_csrf_token_are_refused(client, login_as, make_report, session):
    report = make_report()
    login_as("staff", "dot-bk")
    response = client.post(f"/staff/reports/{report.public_id}/acknowledge", data={"version": report.version})
    assert response.status_code == 400
    session.refresh(report)
    assert report.status is Status.NEW


def test_the_queue_map_shows_the_same_filter(client, login_as, make_report, categories):
    pothole = make_report(description="On the map")
    light = make_report(category="street-light-out")
    login_as("staff", "dot-bk")
    page = client.get(f"/staff/queue/map?category={categories['pothole'].id}").get_data(as_text=True)
    assert f"#{pothole.public_id}" in page and f"#{light.public_id}" not in page
    assert "L.CircleMarker(" in page and "L.marker(" not in page  # one GeoJSON layer, no Marker per ticket
    assert "1 ticket." in page


def test_a_queue_with_nothing_open_shows_the_city_map(client, login_as):
    login_as("staff", "dot-si")  # no open tickets in this test
    response = client.get("/staff/queue/map")
    assert response.status_code == 200 and "0 tickets." in response.get_data(as_text=True)


def test_the_queue_map_caps_its_points_and_says_so(client, login_as, make_report, monkeypatch):
    from seeclick.staff import queries

    for _ in range(3):
        make_report()
    monkeypatch.setattr(queries, "MAP_LIMIT", 2)
    login_as("staff", "dot-bk")
    page = client.get("/staff/queue/map").get_data(as_text=True)
    assert "Showing the first 2 of 3 tickets" in page
    monkeypatch.setattr(queries, "PAGE_SIZE", 1)
    monkeypatch.setattr(queries, "COUNT_LIMIT", 2)  # the list's count stops at 2 here: so does the map's
    page = client.get("/staff/queue/map").get_data(as_text=True)
    assert "Showing the first 2 of more than 2 tickets" in page



def test_a_stale_not_ours_close_keeps_every_choice(client, login_as, make_report, session):
    report = make_report()
    login_as("staff", "dot-bk")
    stale_version = report.version
    act(client, report, "acknowledge")
    page = f"/staff/reports/{report.public_id}"
    body = client.post(f"{page}/close", data={"csrf_token": token(client, page), "version": stale_version,
                                              "resolution": "not_ours", "referred_to": "Con Edison",
                                              "note": "Their gas work"}).get_data(as_text=True)
    assert '<option selected value="not_ours">' in body and 'value="Con Edison"' in body
    session.refresh(report)
    assert f'name="version" value="{report.version}"' in body  # resubmitting now applies to the current report


def test_an_action_without_its_version_is_refused(client, login_as, make_report, session):
    report = make_report()
    login_as("staff", "dot-bk")
    page = f"/staff/reports/{report.public_id}"
    response = client.post(f"{page}/close", data={"csrf_token": token(client, page), "resolution": "fixed",
                                                  "note": "Done"})
    assert response.status_code == 400
    session.refresh(report)
    assert report.status is Status.NEW


def test_a_refused_note_keeps_its_text(client, login_as, make_report):
    report = make_report()
    login_as("staff", "dot-bk")
    page = f"/staff/reports/{report.public_id}"
    long_note = "x" * 4001
    body = client.post(f"{page}/notes", data={"csrf_token": token(client, page), "note": long_note,
                                              "public": "y"}).get_data(as_text=True)
    assert "Keep it under 4,000 characters" in body and long_note in body
    assert re.search(r'name="public" value="y" checked', body)
