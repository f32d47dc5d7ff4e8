"""The ticket shows staff where the problem is and what the reporter answered; sending it away is clear."""

import html
import json
import re
from datetime import UTC, datetime

from seeclick.geo import LatLon
from seeclick.reports.models import Status
from tests.test_staff import act


def test_the_ticket_shows_the_place_on_a_map_with_its_coordinates_address_and_public_page(client, login_as,
                                                                                          make_report):
    report = make_report(where=LatLon(40.6782, -73.9442), address="245 Eastern Parkway")
    login_as("staff", "dot-bk")
    page = client.get(f"/staff/reports/{report.public_id}").get_data(as_text=True)
    assert "L.circleMarker(" in page and "[40.6782, -73.9442]" in page  # the pin, where the report is
    assert "40.678200, -73.944200" in page
    assert "245 Eastern Parkway" in page
    assert f'href="/reports/{report.public_id}"' in page


def test_a_report_placed_without_the_map_says_its_point_is_the_neighbourhoods(client, login_as, make_report):
    report = make_report(location_approximate=True, address="Nostrand Ave and Union St")
    login_as("staff", "dot-bk")
    page = client.get(f"/staff/reports/{report.public_id}").get_data(as_text=True)
    assert "L.circle(" in page and "the neighbourhood’s point" in page and "go by the address" in page


def test_the_ticket_shows_the_questions_and_answers_in_their_own_words(client, login_as, make_report):
    report = make_report(answers={"size": "large"})
    login_as("staff", "dot-bk")
    page = client.get(f"/staff/reports/{report.public_id}").get_data(as_text=True)
    assert re.search(r"<dt>How big is it\?</dt><dd>Larger than a metre</dd>", page)
    assert "size: large" not in page and ">large<" not in page


def test_send_to_starts_with_no_department_chosen_and_sending_to_none_is_explained(client, login_as,
                                                                                    make_report, session):
    report = make_report()
    login_as("staff", "dot-bk")
    page = client.get(f"/staff/reports/{report.public_id}").get_data(as_text=True)
    options = re.search(r'<select id="department" name="department">(.*?)</select>', page, re.S)[1]
    assert re.match(r'\s*<option selected value="">Choose a department…</option>', options)
    assert options.count("selected") == 1

    refused = act(client, report, "reassign", department="", note="Not a pothole, a sinkhole")
    answer = refused.get_data(as_text=True)
    assert refused.status_code == 422
    field = re.search(r'<div class="field has-error">\s*<label for="department">.*?</div>', answer, re.S)[0]
    assert "Choose the department to send it to." in field
    assert "Not a pothole, a sinkhole" in answer  # what was written is kept
    session.refresh(report)
    assert report.department.code == "dot-bk" and report.status is Status.NEW


def test_a_clerk_who_sends_a_ticket_away_is_back_on_their_queue_with_a_message(client, login_as, make_report,
                                                                                departments, session):
    report = make_report()
    login_as("staff", "dot-bk")
    sent = act(client, report, "reassign", department=departments["dot-qn"].id, note="Across the line")
    assert sent.status_code == 302 and sent.headers["Location"] == "/staff/queue"
    queue = client.get("/staff/queue")
    assert queue.status_code == 200
    assert "Sent to DOT Queens Borough Office. It has left your queue." in html.unescape(
        queue.get_data(as_text=True))


def test_an_administrator_who_sends_a_ticket_on_stays_on_it(client, login_as, make_report, departments):
    report = make_report()
    login_as("admin")
    sent = act(client, report, "reassign", department=departments["dot-qn"].id, note="Across the line")
    assert sent.headers["Location"] == f"/staff/reports/{report.public_id}"
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Sent to DOT Queens Borough Office." in html.unescape(page) and "left your queue" not in page


def test_each_point_of_the_queue_map_opens_its_ticket_and_what_it_says_stays_text(client, login_as, make_report,
                                                                                  make_category, session):
    odd = make_category("odd", name='<img src=x onerror="alert(1)">Odd')
    report, strange = make_report(), make_report()
    strange.category = odd  # still Brooklyn's: in the same queue
    session.flush()
    login_as("staff", "dot-bk")
    page = client.get("/staff/queue/map").get_data(as_text=True)
    assert 'src="/static/js/tickets.js"' in page
    assert 'seeclickTickets.attach(' in page and '"/staff/reports/__id__"' in page
    assert f'"number": "{report.public_id}"' in page and f'"number": "{strange.public_id}"' in page
    # Written into the script as JSON that cannot close it; the script puts it on the page as text.
    assert "<img src=x" not in page
    assert json.dumps(odd.name)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e") in page


def test_an_empty_queue_map_is_the_city(client, login_as):
    login_as("staff", "dot-si")
    page = client.get("/staff/queue/map")
    assert page.status_code == 200 and "seeclickTickets.attach(" not in page.get_data(as_text=True)



def test_a_ticket_whose_contact_details_were_removed_says_so_and_offers_no_ban(client, login_as, make_report):
    report = make_report(contact_removed_at=datetime(2026, 3, 1, 15, tzinfo=UTC))
    login_as("manager", "dot-bk")
    page = html.unescape(client.get(f"/staff/reports/{report.public_id}").get_data(as_text=True))
    assert "The reporter’s contact details were removed on Mar 1, 2026" in page
    assert "Reporter (staff only" not in page and "/staff/bans/new" not in page
