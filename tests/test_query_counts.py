"""Pages that list reports send the same few statements whether they list three reports or thirty.

A page that read one more row per report (a lazy load, a query in a loop) would grow with the city;
each page here is counted with 3 and with 30 reports, and both counts must match and stay within
the page's budget.
"""

import io
import math

import pytest
from PIL import Image

from seeclick import caching
from seeclick.moderation.models import HiddenUpdate, Reason
from seeclick.photos import services as photos
from seeclick.publicmap import tiles
from seeclick.reports.models import Status, Support, Update, UpdateKind
from tests.conftest import CROWN_HEIGHTS


def tile_at(z, where):
    """The (z, x, y) of the Web-Mercator tile holding a point."""
    n = 1 << z
    x = int((where.lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(where.lat))) / math.pi) / 2 * n)
    return z, x, y


STREET = tile_at(tiles.POINTS_FROM_ZOOM, CROWN_HEIGHTS)

# page, signed in as staff of dot-bk?, the statements it sends today (a new one must be chosen, and written here)
PAGES = [
    ("/staff/queue", True, 7),
    ("/staff/queue/map", True, 5),
    ("/map", False, 3),
    ("/map/tiles/{}/{}/{}.pbf".format(*STREET), False, 1),
    ("/open311/v2/requests.json", False, 1),
    ("/open311/v2/requests.json?extensions=true", False, 2),
    ("/open311/v2/requests.xml?status=open", False, 1),
    ("/neighbourhoods/BK0802", False, 7),
    ("/export/reports.csv", False, 1),
]


@pytest.mark.parametrize("path, staff, budget", PAGES, ids=[p[0] for p in PAGES])
def test_a_list_of_reports_costs_the_same_statements_for_any_number_of_them(
        client, login_as, make_report, count_queries, path, staff, budget):
    if staff:
        login_as("staff", "dot-bk")
    counts = []
    for more in (3, 27):  # 3 reports, then 30
        for _ in range(more):
            make_report()
        caching.forget_all()  # nothing kept from before: the page is drawn from the reports
        with count_queries() as counted:
            response = client.get(path)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            response.get_data()
        counts.append(counted)
    few, many = counts
    assert len(few) == len(many), f"with 3 reports: {few!r}\nwith 30 reports: {many!r}"
    assert len(many) <= budget, repr(many)


def test_a_report_sent_costs_its_two_statements_and_both_are_counted(client, categories, count_queries):
    """The submission runs on the raw cursor for speed; the counter still sees each statement."""
    from tests.test_citizen_reports import report_form

    data = report_form(client, categories, email="ana@example.org")
    with count_queries() as counted:
        response = client.post("/reports/new", data=data)
    assert response.status_code == 303
    sent = [s for s in counted.statements if "route_candidates(" in s or s.startswith(("INSERT", "WITH"))]
    assert [s.split()[0] for s in sent] == ["SELECT", "WITH", "WITH"], repr(counted)  # route, report, receipt
    assert "INSERT INTO report" in sent[1] and "INSERT INTO notification" in sent[2]


@pytest.mark.parametrize("path", ["/reports/new", "/reports/new?lat=40.6782&lon=-73.9442"])
def test_the_report_form_costs_the_same_statements_for_any_number_of_categories(
        client, session, make_category, count_queries, path):
    """Every category's questions are on the form (its script shows the chosen one's): read in one statement,
    not one a category, with the neighbourhoods' names and not their boundaries."""
    from seeclick.categories.models import CategoryQuestion, Datatype

    counts = []
    for made in (0, 12):
        for i in range(made):
            category = make_category(f"form-{i}", name=f"Form problem {i}")
            category.questions.append(CategoryQuestion(code=f"size-{i}", prompt=f"How large is problem {i}?",
                                                       datatype=Datatype.STRING, required=False))
        session.flush()
        caching.forget_all()
        with count_queries() as counted:
            page = client.get(path)
        assert page.status_code == 200
        counts.append(counted)
    few, many = counts
    assert "How large is problem 11?" in page.text and "Form problem 11" in page.text
    assert len(few) == len(many) <= 4, f"before: {few!r}\nwith 12 more categories: {many!r}"
    assert not [s for s in many.statements if "neighbourhood.geom" in s]


def add_photo(report, update=None):
    """A real photo, staged and attached as the report form or a closing note attaches it."""
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(picture, "PNG")
    photo, _ = photos.stage(picture.getvalue(), "photo.png")
    photos.attach([photo], report, update)
    return photo


def test_a_report_page_costs_the_same_statements_however_long_its_timeline(
        client, session, make_report, departments, count_queries):
    """Its report with category, questions, department and neighbourhood; its timeline with the departments
    it passed between and what a moderator hid; its photos; its supporters: one statement, for a report
    just sent and for one with a long history."""
    short = make_report()
    long = make_report()
    add_photo(long)
    taken = add_photo(long)
    taken.hidden_reason, taken.hidden_at = Reason.PERSONAL_INFORMATION, long.created_at
    trail = [departments["dot-bk"], departments["dsny-bk03"], departments["dot-bk"]]
    for n in range(4):
        session.add(Update(report=long, kind=UpdateKind.COMMENT, public=True, body=f"Note {n}"))
    for old, new in zip(trail, trail[1:], strict=False):
        session.add(Update(report=long, kind=UpdateKind.REASSIGN, public=True, body="Not ours",
                           from_department_id=old.id, to_department_id=new.id))
    rude = Update(report=long, kind=UpdateKind.COMMENT, public=True, body="Rude words")
    closing = Update(report=long, kind=UpdateKind.STATUS, public=True, old_status=Status.NEW,
                     new_status=Status.FIXED, body="Filled")
    session.add_all([rude, closing])
    session.flush()
    session.add(HiddenUpdate(update_id=rude.id, reason=Reason.ABUSE))
    add_photo(long, closing)
    session.add_all(Support(report_id=long.id, supporter=f"browser {n}") for n in range(3))
    session.flush()
    paths = [f"/reports/{report.public_id}" for report in (short, long)]
    session.expire_all()  # the page reads everything afresh, as a new request does

    counts = []
    for path in paths:
        caching.forget_all()
        with count_queries() as counted:
            response = client.get(path)
            page = response.get_data(as_text=True)
        assert response.status_code == 200, page[:500]
        counts.append(counted)
    dot, dsny = trail[0].name, trail[1].name  # the departments it passed between, both ways
    assert f"Passed from {dot} to {dsny}" in page and f"Passed from {dsny} to {dot}" in page
    assert "Rude words" not in page and "Removed by a moderator" in page
    assert page.count('class="after-photo"') == 1 and "3 people added their support" in page
    assert page.count('alt="Photo 1 of the problem"') == 1 and "Photo removed by a moderator" in page
    assert taken.token not in page
    few, many = counts
    assert len(few) == len(many) == 1, f"just sent: {few!r}\nwith a history: {many!r}"
