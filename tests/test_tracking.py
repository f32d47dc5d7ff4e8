"""Looking up a tracking number from the home page and the header: as people type it, and what it shows."""

import re

import pytest

from seeclick.moderation import services as moderation
from seeclick.moderation.models import Reason
from seeclick.reports import tracking


@pytest.mark.parametrize("typed", ["#100234", "100234", " 100 234 ", "No. 100234", "no 100-234", "Report #100234",
                                   "tracking number 100234", "#  100234"])
def test_a_tracking_number_is_read_however_it_is_typed(typed):
    assert tracking.number(typed) == "100234"


def test_what_is_no_tracking_number_is_read_as_none():
    assert tracking.number("") == tracking.number("##") == tracking.number("x" * 41) == ""


@pytest.mark.parametrize("typed", ["#{n}", "{n}", " {spaced} ", "no. {n}", "Report #{n}"])
def test_a_number_goes_to_its_reports_page(client, make_report, typed):
    report = make_report()
    n = report.public_id
    response = client.get("/reports/find", query_string={"number": typed.format(n=n, spaced=f"{n[:3]} {n[3:]}")})
    assert response.status_code == 303 and response.headers["Location"] == f"/reports/{n}"
    assert "Deep hole" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_unknown_number_says_so_plainly_with_the_box_filled_in_again(client):
    response = client.get("/reports/find?number=%23+999+999+999")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "No report has the tracking number #999999999." in page
    assert 'value="# 999 999 999"' in page and 'aria-describedby="find-problem"' in page


def test_the_lookup_page_without_a_number_asks_for_one(client):
    response = client.get("/reports/find")
    assert response.status_code == 200 and "Type the tracking number you were given" in response.get_data(as_text=True)


def test_a_report_taken_down_shows_no_more_than_its_own_page_does(client, make_report, make_user):
    report = make_report(description="Call Ana on 718 555 0100", address="12 Secret Lane")
    moderation.hide_report(report, make_user("manager", "dot-bk"), Reason.PERSONAL_INFORMATION)
    response = client.get(f"/reports/find?number={report.public_id}")
    assert response.status_code == 303 and response.headers["Location"] == f"/reports/{report.public_id}"
    assert "Secret" not in response.get_data(as_text=True) and "Ana" not in response.get_data(as_text=True)
    removed = client.get(response.headers["Location"])
    assert removed.status_code == 410
    page = removed.get_data(as_text=True)
    assert "removed by a moderator" in page.lower() and "Secret Lane" not in page and "555" not in page


def test_the_home_page_and_the_header_of_every_page_have_the_box(client):
    home = client.get("/").get_data(as_text=True)
    assert len(re.findall(r'<form class="find-report[^"]*" method="get" action="/reports/find"', home)) == 2
    assert "Already reported it?" in home
    for path in ("/reports/new", "/map", "/stats"):
        assert 'id="header-number" name="number"' in client.get(path).get_data(as_text=True)
