"""Watching a neighbourhood or a circle: confirmed by link, then one digest of what is new there."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from seeclick.geo import LatLon
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.notifications import watching
from seeclick.notifications.models import Notification, Watch
from tests.conftest import csrf_token


def confirm_by_link(client, session, email):
    [mail] = session.scalars(select(Notification).where(Notification.recipient == email,
                                                        Notification.event == "confirm")).all()
    link = re.search(r"(/watch/[^/\s]+/confirm)", mail.body)[1]
    assert client.get(link).status_code == 200  # the link alone changes nothing
    client.post(link, data={"csrf_token": csrf_token(client, link)})


def test_a_resident_watches_their_neighbourhood_and_gets_one_digest_of_whats_new(client, session, make_report):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    page = "/neighbourhoods/BK0802"
    client.post(f"{page}/watch", data={"csrf_token": csrf_token(client, page), "email": "res@example.org"})
    confirm_by_link(client, session, "res@example.org")
    watch = session.scalar(select(Watch).where(Watch.email == "res@example.org"))
    assert watch.active and watch.neighbourhood == crown

    old = make_report(neighbourhood=crown, created_at=watch.covered_until - timedelta(days=1))
    new = make_report(neighbourhood=crown, created_at=datetime.now(UTC), description="New one")
    elsewhere = make_report(category="street-light-out", created_at=datetime.now(UTC))
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert watching.send_digests(later) == 1
    [digest] = session.scalars(select(Notification).where(Notification.event == "digest")).all()
    assert digest.subject == "1 new report in Crown Heights (North)"
    assert f"/reports/{new.public_id}" in digest.body
    assert f"/reports/{old.public_id}" not in digest.body and f"/reports/{elsewhere.public_id}" not in digest.body
    assert "/watch/" in digest.body and "/stop" in digest.body
    assert watching.send_digests(later + timedelta(hours=1)) == 0  # nothing new: no mail


def test_a_circle_around_a_report_takes_only_what_lies_within(client, session, make_report):
    centre = make_report()
    page = f"/reports/{centre.public_id}"
    client.post(f"{page}/watch", data={"csrf_token": csrf_token(client, page), "email": "near@example.org",
                                        "radius": "250"})
    confirm_by_link(client, session, "near@example.org")
    near = make_report(where=LatLon(40.6790, -73.9442), created_at=datetime.now(UTC))  # ~90 m north
    far = make_report(where=LatLon(40.6830, -73.9442), created_at=datetime.now(UTC))  # ~530 m north
    watching.send_digests(datetime.now(UTC) + timedelta(seconds=1))
    [digest] = session.scalars(select(Notification).where(Notification.event == "digest")).all()
    assert f"/reports/{near.public_id}" in digest.body and f"/reports/{far.public_id}" not in digest.body


def test_asking_tells_nobody_whether_an_address_already_watches(client, session):
    page = "/neighbourhoods/BK0802"
    answers = []
    for _ in range(2):
        response = client.post(f"{page}/watch", data={"csrf_token": csrf_token(client, page),
                                                      "email": "same@example.org"}, follow_redirects=True)
        answers.append(re.search(r'class="flash[^"]*">([^<]+)', response.get_data(as_text=True))[1])
    assert answers[0] == answers[1]
    bad = client.post(f"{page}/watch", data={"csrf_token": csrf_token(client, page), "email": "a,b@example.org"},
                      follow_redirects=True)
    assert "Give your email address" in bad.get_data(as_text=True)


def test_stopping_ends_the_digest(client, session, make_report):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    watch = watching.watch_neighbourhood(crown, "stop@example.org")
    watching.confirm(watch.token)
    stop = f"/watch/{watch.token}/stop"
    client.post(stop, data={"csrf_token": csrf_token(client, stop)})
    session.refresh(watch)
    make_report(neighbourhood=crown, created_at=datetime.now(UTC))
    assert not watch.active and watching.send_digests(datetime.now(UTC) + timedelta(seconds=1)) == 0
