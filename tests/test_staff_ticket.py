"""The ticket shows staff where the problem is and what the reporter answered; sending it away is clear."""

import json


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
