"""Citizens report a problem through the form and follow it: HTTP and service tests on the real PostGIS."""

import io
import re
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from seeclick.categories.models import Category
from seeclick.geo import LatLon, from_db, latlon
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.notifications.models import Follower, Notification
from seeclick.photos import storage
from seeclick.photos.models import Photo
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Report, Status, Support
from tests.conftest import CROWN_HEIGHTS, csrf_token
from tests.test_photos import gps_ifd, phone_jpeg, png_header_only

HARLEM = LatLon(40.8116, -73.9465)  # Manhattan: DOT Manhattan


def size_key(category):
    return category.questions[0].values[0]["key"]


def report_form(client, categories, category="pothole", where=CROWN_HEIGHTS, **overrides):
    """A complete, valid report as the form sends it (without script)."""
    pothole = categories[category]
    data = {"csrf_token": csrf_token(client, "/reports/new"), "submission_key": overrides.pop("key", "k-1"),
            "step": "send", "lat": str(where.lat), "lon": str(where.lon), "category": str(pothole.id),
            "description": "A deep hole in the right lane", "address": "", "email": "", "name": "", "phone": ""}
    if pothole.questions:
        data[f"answer-{pothole.questions[0].code}"] = size_key(pothole) if pothole.questions[0].values else "x"
    data.update(overrides)
    return data


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def errors_on(page):
    """The messages of the error summary at the top of the form, as a person reads them."""
    return re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', page)


def test_the_form_offers_only_the_categories_served_at_the_pin(client, categories):
    inside = client.get("/reports/place?lat=40.6782&lon=-73.9442").get_json()
    assert inside["inside"] and inside["neighbourhood"].startswith("Crown Heights")
    assert {c["name"] for c in inside["categories"]} >= {"Pothole", "Missed trash or recycling collection"}

    outside = client.get("/reports/place?lat=40.95&lon=-73.2").get_json()  # Long Island Sound
    assert outside == {"inside": False, "categories": [], "neighbourhood": None, "nearby_html": "",
                       "message": "This place is outside New York City: move the pin inside the city."}
    assert client.get("/reports/place?lat=north&lon=1").status_code == 400


def test_a_citizen_reports_a_pothole_with_a_photo_and_gets_a_tracking_number(client, session, departments,
                                                                           categories):
    data = report_form(client, categories, email="ana@example.org", name="Ana", phone="+1 718 555 0100")
    data["photos"] = (io.BytesIO(phone_jpeg(gps=gps_ifd(40.6782, -73.9442))), "IMG_0001.jpg")
    response = client.post("/reports/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == "k-1"))
    assert response.headers["Location"].endswith(f"/reports/{report.public_id}/sent")
    assert report.department == departments["dot-bk"] and report.status is Status.NEW
    assert report.neighbourhood.name.startswith("Crown Heights")
    assert report.due_at == report.created_at + categories["pothole"].sla
    assert latlon(from_db(report.location)) == CROWN_HEIGHTS and not report.location_approximate

    [photo] = session.scalars(select(Photo).where(Photo.report_id == report.id)).all()
    image = storage.read(photo)
    stored = Image.open(io.BytesIO(image))
    assert not stored.getexif() and b"Exif" not in image  # no camera data, no GPS kept

    sent = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"#{report.public_id}" in sent and "Brooklyn" in sent
    assert "no history yet" in sent  # an honest answer when there is nothing to go on

    [receipt] = session.scalars(select(Notification).where(Notification.report_id == report.id)).all()
    assert receipt.recipient == "ana@example.org" and report.public_id in receipt.subject
    assert "went to" in receipt.body and "/follow/" in receipt.body
    queued = session.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'send_notification' "
                                  "AND (args->>'notification_id')::bigint = :id"), {"id": receipt.id}).scalar()
    assert queued == 1  # the mail job is queued in the same transaction as the report


def test_a_double_tap_or_a_retry_makes_one_report(client, session, categories):
    data = report_form(client, categories, key="retry-me")
    first = client.post("/reports/new", data=data)
    second = client.post("/reports/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert session.scalar(select(func.count()).where(Report.submission_key == "retry-me")) == 1


def test_a_retry_of_a_report_with_a_photo_finds_the_report(client, session, categories):
    data = report_form(client, categories, key="photo-retry")
    data["photos"] = (io.BytesIO(phone_jpeg()), "hole.jpg")
    first = client.post("/reports/new", data=data, content_type="multipart/form-data")
    token = session.scalar(select(Photo.token).where(Photo.report_id.is_not(None)))
    retry = client.post("/reports/new", data=report_form(client, categories, key="photo-retry") | {
        "photo_token": token})
    assert retry.status_code == 303 and retry.headers["Location"] == first.headers["Location"]


def test_back_change_and_send_again_makes_a_second_report(client, session, categories):
    data = report_form(client, categories, key="same-key")
    first = client.post("/reports/new", data=data).headers["Location"]
    second = client.post("/reports/new", data=data | {"description": "Another hole, further on"}).headers["Location"]
    assert first != second
    assert client.get("/reports/new").headers["Cache-Control"] == "no-store"


def test_only_the_reporters_browser_is_told_a_receipt_was_emailed(client, app, session, categories):
    location = client.post("/reports/new", data=report_form(client, categories, email="a@example.org")).headers[
        "Location"]
    assert "We sent a receipt to your email" in client.get(location).get_data(as_text=True)
    stranger = app.test_client()
    assert "We sent a receipt" not in stranger.get(location).get_data(as_text=True)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"lat": "40.95", "lon": "-73.2"}, "location", "outside New York City"),
    ({"lat": "", "lon": ""}, "location", "Show us where"),
    ({"lat": "91", "lon": "0"}, "location", "not a place on Earth"),
    ({"answer-size": ""}, "answer-size", "Please answer: How big is it?"),
    ({"answer-size": "enormous"}, "answer-size", "Choose from the list"),
    ({"description": "x" * 4001}, "description", "under 4,000 characters"),
    ({"description": ""}, "description", "Describe the problem, or add a photo"),
    ({"category": ""}, "category", "Choose what the problem is"),
    ({"email": "not-an-address"}, "email", "does not look like an email address"),
    ({"show_name": "y"}, "name", "Give the name to show"),
])
def test_bad_input_is_told_beside_its_field_and_nothing_is_stored(client, session, categories, change, field,
                                                                  message):
    before = count(session, Report)
    data = report_form(client, categories, address="Kept: 245 Eastern Pkwy") | change
    response = client.post("/reports/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert any(message in error for error in errors_on(page)), errors_on(page)
    target = re.search(rf'href="#({field}[^"]*)"', page)[1]
    assert f'id="{target}"' in page  # the summary's link leads to the field itself
    assert "Kept: 245 Eastern Pkwy" in page  # what was typed is still there
    assert count(session, Report) == before


def test_a_category_not_taken_at_the_place_is_refused(client, session, categories):
    orphan = Category(code="orphan", name="Orphan problem", sla_hours=24, active=True)
    session.add(orphan)
    session.flush()
    response = client.post("/reports/new", data=report_form(client, categories) | {"category": str(orphan.id)})
    assert response.status_code == 422
    assert "“Orphan problem” is not handled at this place" in response.get_data(as_text=True)


@pytest.mark.parametrize(("upload", "message"), [
    ((b"%PDF-1.4 not a photo", "scan.pdf"), "not a photo we can read"),
    ((b"<html><script>alert(1)</script></html>", "photo.jpg"), "not a photo we can read"),
    ((png_header_only(8200, 6200), "huge.png"), "megapixels"),
    ((phone_jpeg()[:2000], "cut.jpg"), "cut short"),
])
def test_a_bad_photo_is_told_and_nothing_is_stored(client, session, categories, upload, message):
    before = (count(session, Report), count(session, Photo))
    data = report_form(client, categories) | {"photos": (io.BytesIO(upload[0]), upload[1])}
    response = client.post("/reports/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="photos-errors"' in page
    assert (count(session, Report), count(session, Photo)) == before


def test_without_a_pin_the_photos_own_place_is_offered_then_used(client, session, categories):
    data = report_form(client, categories, lat="", lon="")
    data["photos"] = (io.BytesIO(phone_jpeg(gps=gps_ifd(40.6782, -73.9442))), "IMG_0002.jpg")
    offered = client.post("/reports/new", data=data, content_type="multipart/form-data")
    page = offered.get_data(as_text=True)
    assert offered.status_code == 422 and "where your photo was taken" in page
    assert 'name="lat" type="hidden" value="40.678200"' in page and count(session, Report) == 0
    token = re.search(r'name="photo_token" value="([^"]+)"', page)[1]
    accepted = client.post("/reports/new", data=data | {"lat": "40.678200", "lon": "-73.944200",
                                                       "photo_token": token, "photos": []})
    assert accepted.status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == "k-1"))
    assert report.department.code == "dot-bk" and [p.token for p in report.photos] == [token]


def test_a_photo_added_before_a_mistake_is_kept_for_the_second_try(client, session, categories):
    data = report_form(client, categories, description="") | {"answer-size": ""}
    data["photos"] = (io.BytesIO(phone_jpeg()), "hole.jpg")
    first = client.post("/reports/new", data=data, content_type="multipart/form-data")
    assert first.status_code == 422
    token = re.search(r'name="photo_token" value="([^"]+)"', first.get_data(as_text=True))[1]
    fixed = report_form(client, categories) | {"photo_token": token}
    assert client.post("/reports/new", data=fixed).status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == "k-1"))
    assert [p.token for p in report.photos] == [token]


def test_script_in_a_description_is_shown_as_text(client, session, categories):
    data = report_form(client, categories, description='<script>alert("x")</script><img src=x onerror=alert(1)>')
    location = client.post("/reports/new", data=data).headers["Location"]
    page = client.get(location.removesuffix("/sent")).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_a_report_without_the_map_is_placed_in_its_neighbourhood(client, session, categories):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.name.like("Crown Heights (North)%")))
    data = report_form(client, categories, lat="", lon="", neighbourhood=crown.code,
                       address="Nostrand Ave and Union St")
    assert client.post("/reports/new", data=data).status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == "k-1"))
    assert report.location_approximate and report.neighbourhood == crown
    assert report.address == "Nostrand Ave and Union St" and report.department.code == "dot-bk"

    no_address = client.post("/reports/new", data=data | {"address": "", "submission_key": "k-2"})
    assert no_address.status_code == 422 and "Type the address" in no_address.get_data(as_text=True)


def test_the_expectation_comes_from_how_reports_like_it_were_fixed_here(client, session, categories, make_report):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    for days in range(1, 12):  # eleven fixed in 1..11 days: the median is 6 days
        created = now - timedelta(days=30)
        make_report(created_at=created, status=Status.FIXED, closed_at=created + timedelta(days=days))
    make_report(created_at=now - timedelta(days=3), status=Status.DUPLICATE, closed_at=now - timedelta(days=3))
    location = client.post("/reports/new", data=report_form(client, categories)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Of the last 12 reports like this here, 11 were fixed; half of those within 6 days." in page


def test_open_reports_of_the_same_kind_nearby_are_offered_before_sending(client, session, categories, make_report):
    near = make_report(where=LatLon(40.6785, -73.9440), description="Crater by the bus stop")  # ~35 m
    make_report(where=LatLon(40.6810, -73.9442), description="Too far to be the same")  # ~310 m
    make_report(where=LatLon(40.6783, -73.9442), description="Fixed already", status=Status.FIXED,
                closed_at=func.now())
    make_report(category="street-light-out", where=LatLon(40.6782, -73.9442), description="Another kind")
    pothole = categories["pothole"]
    answer = client.get(f"/reports/place?lat=40.6782&lon=-73.9442&category={pothole.id}").get_json()
    assert "Is it one of these?" in answer["nearby_html"]
    assert "Crater by the bus stop" in answer["nearby_html"] and f"/reports/{near.public_id}#support" in answer[
        "nearby_html"]
    for other in ("Too far", "Fixed already", "Another kind"):
        assert other not in answer["nearby_html"]


def test_me_too_counts_once_per_person(client, app, session, make_report):
    report = make_report()
    token = csrf_token(client, f"/reports/{report.public_id}")
    first = client.post(f"/reports/{report.public_id}/support", data={"csrf_token": token}, follow_redirects=True)
    again = client.post(f"/reports/{report.public_id}/support", data={"csrf_token": token}, follow_redirects=True)
    assert "your support is counted" in first.get_data(as_text=True)
    assert "already counted" in again.get_data(as_text=True)
    assert "1 person added their support." in again.get_data(as_text=True)

    neighbour = app.test_client()
    neighbour.post(f"/reports/{report.public_id}/support",
                   data={"csrf_token": csrf_token(neighbour, f"/reports/{report.public_id}")})
    assert session.scalar(select(func.count()).where(Support.report_id == report.id)) == 2


def test_following_needs_the_address_confirmed_then_every_public_change_is_mailed(client, session, make_report,
                                                                                 login_as):
    report = make_report()
    page = f"/reports/{report.public_id}"
    refused = client.post(f"{page}/follow", data={"csrf_token": csrf_token(client, page), "email": "nope"})
    assert refused.status_code == 422 and "Give your email address" in refused.get_data(as_text=True)

    client.post(f"{page}/follow", data={"csrf_token": csrf_token(client, page), "email": "Bo@Example.org"})
    follower = session.scalar(select(Follower).where(Follower.report_id == report.id))
    assert not follower.active
    [confirm] = session.scalars(select(Notification).where(Notification.event == "confirm")).all()
    assert f"/follow/{follower.token}/confirm" in confirm.body

    link = f"/follow/{follower.token}/confirm"
    assert client.get(link).status_code == 200 and not follower.active  # opening the link alone changes nothing
    client.post(link, data={"csrf_token": csrf_token(client, link)})
    session.refresh(follower)
    assert follower.active

    dispatcher = login_as("staff", "dot-bk")
    lifecycle.acknowledge(report, dispatcher, "Crew booked for Tuesday.")
    lifecycle.add_note(report, dispatcher, "Internal: needs the big truck.", public=False)
    mail = session.scalars(select(Notification).where(Notification.event == "update")).all()
    assert [(m.recipient, "now acknowledged" in m.subject) for m in mail] == [("Bo@Example.org", True)]
    assert "Crew booked for Tuesday." in mail[0].body and "big truck" not in mail[0].body

    stop = f"/follow/{follower.token}/stop"
    client.post(stop, data={"csrf_token": csrf_token(client, stop)})
    lifecycle.start(report, dispatcher, "On site.")
    assert session.scalar(select(func.count()).where(Notification.event == "update")) == 1


def test_the_forms_under_a_report_are_drawn_once_yet_each_page_has_its_own_number_token_and_count(
        app, client, session, make_report):
    """The forms are kept between pages; what differs from page to page is each page's own all the same."""
    shut = make_report(status=Status.FIXED, closed_at=datetime.now(UTC))
    open_one = make_report()
    session.add_all(Support(report_id=open_one.id, supporter=f"browser {n}") for n in range(2))
    session.flush()

    def forms_of(page):
        return page[page.index('<div class="engage">'):page.index("</details>")]

    ours = forms_of(client.get(f"/reports/{open_one.public_id}").get_data(as_text=True))
    theirs = forms_of(app.test_client().get(f"/reports/{open_one.public_id}").get_data(as_text=True))
    closed = forms_of(client.get(f"/reports/{shut.public_id}").get_data(as_text=True))
    tokens = [set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', forms)) for forms in (ours, theirs)]
    assert all(len(found) == 1 for found in tokens) and tokens[0] != tokens[1]  # one per visitor, not one for all
    assert "2 people added their support." in ours and "No one else has said" in closed
    assert f'action="/reports/{open_one.public_id}/support"' in ours and "Me too" in ours
    assert "Me too" not in closed and "/support" not in closed  # a closed report asks for no support
    assert f'action="/reports/{shut.public_id}/follow"' in closed and open_one.public_id not in closed
    assert "Seguir este reporte" in forms_of(client.get(f"/reports/{open_one.public_id}",
                                                        headers={"Accept-Language": "es"}).get_data(as_text=True))

    page = f"/reports/{open_one.public_id}"
    [token] = tokens[0]
    assert client.post(f"{page}/support", data={"csrf_token": token}).status_code == 303  # the kept form works
    refused = client.post(f"{page}/follow", data={"csrf_token": token, "email": "not-an-address"})
    assert refused.status_code == 422 and 'value="not-an-address"' in refused.get_data(as_text=True)
    assert "not-an-address" not in client.get(page).get_data(as_text=True)  # what one person typed, kept for none


def test_the_follow_form_never_tells_who_reported_or_follows(client, session, categories):
    data = report_form(client, categories, email="ana@example.org")
    page = client.post("/reports/new", data=data).headers["Location"].removesuffix("/sent")
    answers = [client.post(f"{page}/follow", data={"csrf_token": csrf_token(client, page), "email": email},
                           follow_redirects=True).get_data(as_text=True) for email in ("ANA@example.org", "bo@x.org")]
    flashes = [re.search(r'class="flash[^"]*">([^<]+)', a)[1] for a in answers]
    assert flashes[0] == flashes[1]


def test_a_stopped_follower_cannot_be_switched_back_on_by_someone_else(client, session, make_report, make_follower):
    from seeclick.notifications import services as notify

    report = make_report()
    follower = make_follower(report, "ana@example.org")
    notify.stop(follower.token)
    old_token = follower.token
    notify.follow(report, "ana@example.org")  # a stranger types her address
    assert not follower.active and follower.token != old_token
    assert notify.confirm(old_token) is None  # the old link no longer works


@pytest.mark.parametrize("email", ["postmaster,ana@example.org", "ana@example.org\x00", "Ana <ana@example.org>"])
def test_an_address_that_could_name_a_second_recipient_is_refused(client, session, categories, email):
    response = client.post("/reports/new", data=report_form(client, categories, email=email))
    assert response.status_code == 422 and count(session, Report) == 0


def test_the_public_page_never_shows_the_reporters_contact(client, session, categories):
    data = report_form(client, categories, email="private@example.org", phone="718-555-0199", name="Ana Secret")
    location = client.post("/reports/new", data=data).headers["Location"]
    page = client.get(location.removesuffix("/sent")).get_data(as_text=True)
    for private in ("private@example.org", "718-555-0199", "Ana Secret"):
        assert private not in page

    shown = report_form(client, categories, key="k-2", name="Ana Public", show_name="y")
    page = client.get(client.post("/reports/new", data=shown).headers["Location"].removesuffix("/sent"))
    assert "by Ana Public" in page.get_data(as_text=True)


def test_the_public_page_tells_where_it_went_and_hides_internal_notes(client, session, make_report, login_as,
                                                                     departments):
    report = make_report()
    dispatcher = login_as("staff", "dot-bk")
    lifecycle.add_note(report, dispatcher, "Internal: call the contractor.", public=False)
    lifecycle.reassign(report, dispatcher, departments["dot-mn"], "It is on the Manhattan side.")
    page = client.get(f"/reports/{report.public_id}").get_data(as_text=True)
    assert "Passed from" in page and departments["dot-mn"].name in page
    assert "Reported, and sent to " + departments["dot-bk"].name in page
    assert "It is on the Manhattan side." in page and "call the contractor" not in page
    assert "Due by" in page and "Time to acknowledge" in page


def test_only_photos_of_sent_reports_are_served_without_their_metadata(client, session, categories):
    staged = client.post("/reports/photos", data={"photo": (io.BytesIO(phone_jpeg(gps=gps_ifd(40.6782, -73.9442))),
                                                            "IMG.jpg")},
                         headers={"X-CSRFToken": csrf_token(client, "/reports/new")},
                         content_type="multipart/form-data")
    assert staged.status_code == 201
    answer = staged.get_json()
    assert answer["gps"] == pytest.approx({"lat": 40.6782, "lon": -73.9442}, abs=1e-4)  # offered as the place
    assert client.get(f"/photos/{answer['token']}.jpg").status_code == 404  # not yet part of a report

    client.post("/reports/new", data=report_form(client, categories) | {"photo_token": answer["token"]})
    served = client.get(f"/photos/{answer['token']}.jpg")
    assert served.status_code == 200 and served.content_type == "image/jpeg"
    assert b"Exif" not in served.data
    assert client.get(f"/photos/{answer['token']}/thumb.jpg").status_code == 200


def test_a_photo_upload_that_is_not_a_photo_is_answered_with_a_reason(client):
    answer = client.post("/reports/photos", data={"photo": (io.BytesIO(b"hello"), "notes.txt")},
                         headers={"X-CSRFToken": csrf_token(client, "/reports/new")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422 and "not a photo we can read" in answer.get_json()["error"]
    forged = client.post("/reports/photos", data={"photo": (io.BytesIO(phone_jpeg()), "a.jpg")},
                         content_type="multipart/form-data")
    assert forged.status_code == 400


def test_an_upload_too_large_to_send_is_answered_in_plain_words(client, app):
    def send(headers):  # refused on its Content-Length, before a byte of it is read
        return client.post("/reports/photos", data=b"x" * (2 * 1024 * 1024), headers=headers,
                           content_type="multipart/form-data; boundary=photo")

    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        answer = send({"X-CSRFToken": csrf_token(client, "/reports/new"), "Accept": "application/json"})
        page = send({})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert answer.status_code == 413
    assert "keep what you send under 1 MB" in answer.get_json()["description"]  # what the form's script shows
    assert page.status_code == 413 and "keep what you send under 1 MB" in page.get_data(as_text=True)


def test_a_form_without_its_csrf_token_sends_nothing(client, session, categories):
    data = report_form(client, categories)
    del data["csrf_token"]
    response = client.post("/reports/new", data=data)
    assert response.status_code == 422 and "nothing was sent" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).where(Report.submission_key == "k-1")) == 0


def test_merging_moves_followers_and_support_so_every_reporter_hears(client, session, make_report, login_as,
                                                                    make_follower):

    original = make_report()
    duplicate = make_report(reporter_email="dup@example.org")
    make_follower(duplicate, "dup@example.org")
    session.add(Support(report_id=duplicate.id, supporter="someone"))
    dispatcher = login_as("staff", "dot-bk")
    lifecycle.merge(duplicate, original, dispatcher)
    told = session.scalars(select(Notification).where(Notification.report_id == duplicate.id)).all()
    assert [m.recipient for m in told] == ["dup@example.org"] and f"#{original.public_id}" in told[0].body
    lifecycle.acknowledge(original, dispatcher, "On our list.")
    heard = session.scalars(select(Notification.recipient).where(Notification.report_id == original.id)).all()
    assert heard == ["dup@example.org"]  # the duplicate's reporter now hears about the original
    assert session.scalar(select(func.count()).where(Support.report_id == original.id)) == 2


def test_a_duplicates_page_says_so_and_leads_to_the_report_to_follow(client, session, make_report, login_as):
    original, duplicate = make_report(), make_report(description="Same hole, reported again")
    lifecycle.merge(duplicate, original, login_as("staff", "dot-bk"), "Already reported.")
    page = client.get(f"/reports/{duplicate.public_id}").get_data(as_text=True)
    assert "This was already reported." in page and "Same hole, reported again" in page
    assert f'<a href="/reports/{original.public_id}">Follow report #{original.public_id} instead</a>' in page
    assert "Not fixed after all?" not in page  # a duplicate is closed, but not as fixed or unfixable
    assert "This was already reported." not in client.get(f"/reports/{original.public_id}").get_data(as_text=True)


def test_someone_who_confirms_after_a_merge_follows_the_original(client, session, make_report, login_as):
    from seeclick.notifications import services as notify
    from seeclick.notifications.models import Follower

    original, duplicate = make_report(), make_report()
    asked = notify.follow(duplicate, "late@example.org")  # the confirm link is still in their inbox
    session.flush()
    dispatcher = login_as("staff", "dot-bk")
    lifecycle.merge(duplicate, original, dispatcher)
    session.flush()
    page = f"/follow/{asked.token}/confirm"
    response = client.post(page, data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/reports/{original.public_id}")
    following = session.scalar(select(Follower).where(Follower.report_id == original.id))
    assert following.email == "late@example.org" and following.active
    lifecycle.acknowledge(original, dispatcher, "On our list.")
    heard = session.scalars(select(Notification.recipient).where(Notification.report_id == original.id,
                                                                  Notification.event == "update")).all()
    assert heard == ["late@example.org"]


def test_a_reassigned_ticket_is_mailed_to_the_new_department(session, make_report, login_as, departments):
    from seeclick.accounts import services as accounts
    from seeclick.accounts.models import Role

    accounts.create_user("mo@city.example", "correct horse battery staple", Role.STAFF, departments["dot-mn"])
    report = make_report()
    lifecycle.reassign(report, login_as("staff", "dot-bk"), departments["dot-mn"], "Manhattan side of the bridge")
    [told] = session.scalars(select(Notification).where(Notification.event == "assigned")).all()
    assert told.recipient == "mo@city.example"
    assert "Manhattan side of the bridge" in told.body and f"/staff/reports/{report.public_id}" in told.body


# --- what each process keeps: categories under their version, histories for a few minutes ----------------

def test_a_question_an_admin_adds_is_asked_of_the_very_next_report(client, session, categories, login_as):
    assert client.post("/reports/new", data=report_form(client, categories, key="k-1")).status_code == 303
    login_as("admin")
    page = "/admin/categories/pothole"
    assert client.post(f"{page}/questions", data={
        "csrf_token": csrf_token(client, page), "code": "lane", "prompt": "Which lane?",
        "datatype": "singlevaluelist", "required": "y", "values": "left | Left lane\nright | Right lane"},
    ).status_code == 302

    refused = client.post("/reports/new", data=report_form(client, categories, key="k-2"))
    assert refused.status_code == 422 and "Please answer: Which lane?" in errors_on(refused.get_data(as_text=True))
    accepted = client.post("/reports/new", data=report_form(client, categories, key="k-3", **{"answer-lane": "left"}))
    assert accepted.status_code == 303
    assert session.scalar(select(Report.answers).where(Report.submission_key == "k-3"))["lane"] == "left"


def test_a_change_written_by_another_process_is_enforced_at_once(client, session, categories):
    """No code path has to clear anything: the category's version is read with every report."""
    assert client.post("/reports/new", data=report_form(client, categories, key="k-1")).status_code == 303
    choice = size_key(categories["pothole"])
    session.execute(text("UPDATE category_question SET values = '[{\"key\": \"other\", \"name\": \"Other\"}]' "
                         "WHERE category_id = :id"), {"id": categories["pothole"].id})
    refused = client.post("/reports/new", data=report_form(client, categories, key="k-2", **{"answer-size": choice}))
    assert refused.status_code == 422 and "Choose from the list given." in errors_on(refused.get_data(as_text=True))

    session.execute(text("UPDATE category SET active = false WHERE id = :id"), {"id": categories["pothole"].id})
    closed = client.post("/reports/new", data=report_form(client, categories, key="k-3", **{"answer-size": "other"}))
    assert closed.status_code == 422 and "Choose what the problem is." in errors_on(closed.get_data(as_text=True))
    assert count(session, Report) == 1


def test_the_form_shows_each_change_to_a_category_at_once_though_its_questions_are_kept(client, session, categories):
    """The questions under the category choice are drawn once for the categories' versions and the language;
    a change written by another process (in SQL, behind this one's back) is on the very next form."""
    pothole = categories["pothole"]
    assert "How big is it?" in client.get("/reports/new").text
    session.execute(text("UPDATE category_question SET prompt = 'How deep is it?' WHERE category_id = :id"),
                    {"id": pothole.id})
    session.flush()
    for path in ("/reports/new", f"/reports/new?lat={CROWN_HEIGHTS.lat}&lon={CROWN_HEIGHTS.lon}"):
        page = client.get(path).text
        assert "How deep is it?" in page and "How big is it?" not in page
    assert "(obligatoria)" in client.get("/reports/new", headers={"Accept-Language": "es"}).text
    assert "(required)" in client.get("/reports/new").text

    session.execute(text("UPDATE category SET active = false WHERE id = :id"), {"id": pothole.id})
    session.flush()
    page = client.get("/reports/new").text
    assert f'data-category="{pothole.id}"' not in page and "How deep is it?" not in page


def test_a_form_shown_again_has_the_chosen_categorys_questions_with_the_answers_given(client, categories):
    """Not the drawing kept for a form with nothing chosen: the chosen category's questions are shown and
    enabled, with what was answered."""
    pothole = categories["pothole"]
    choice = size_key(pothole)
    response = client.post("/reports/new", data=report_form(client, categories, step="locate",
                                                            **{"answer-size": choice}))
    assert response.status_code == 200
    page = response.text
    section = page[page.index(f'<div class="questions" data-category="{pothole.id}"'):]
    section = section[:section.index("</select>")]
    assert "hidden" not in section.split(">", 1)[0] and "disabled" not in section
    assert f'<option value="{choice}" selected>' in section
    assert "How big is it?" in client.get("/reports/new").text
    assert f'<option value="{choice}" selected>' not in client.get("/reports/new").text


def test_a_category_is_read_again_only_when_it_changed(session, categories):
    from seeclick.categories import versions as kept
    from seeclick.reports import queries

    pothole = categories["pothole"]
    version = queries.new_report_at(pothole.id, CROWN_HEIGHTS).category_version
    first = kept.at_version(pothole.id, version)
    assert kept.at_version(pothole.id, version) is first  # the same copy: nothing read again
    assert [q.code for q in first.questions] == ["size"] and first.sla == pothole.sla

    pothole.sla_hours += 1
    session.flush()
    changed = queries.new_report_at(pothole.id, CROWN_HEIGHTS).category_version
    assert changed != version and kept.at_version(pothole.id, changed).sla_hours == pothole.sla_hours


def test_the_expectation_is_kept_a_few_minutes_then_counted_again(client, session, categories, make_report,
                                                                  monkeypatch):
    from datetime import UTC, datetime, timedelta

    from seeclick import caching
    from seeclick.reports import submission

    now = [1000.0]
    monkeypatch.setattr(caching, "clock", lambda: now[0])
    location = client.post("/reports/new", data=report_form(client, categories)).headers["Location"]
    assert "no history yet" in client.get(location).get_data(as_text=True)
    created = datetime.now(UTC) - timedelta(days=30)
    for days in range(1, 12):
        make_report(created_at=created, status=Status.FIXED, closed_at=created + timedelta(days=days))

    now[0] += submission.HISTORY_KEPT_FOR - 1
    assert "no history yet" in client.get(location).get_data(as_text=True)
    now[0] += 1
    assert "Of the last 11 reports like this here, 11 were fixed" in client.get(location).get_data(as_text=True)


def draft_from_phone(client, categories, **overrides):
    """A report kept on a phone while offline, as static/js/drafts.js sends it: a fresh token, JSON asked for."""
    data = report_form(client, categories, **overrides)
    data["csrf_token"] = client.get("/reports/token").get_json()["csrf_token"]
    return data


def test_a_draft_sent_from_the_phone_is_answered_with_its_tracking_number_once(client, session, categories):
    data = draft_from_phone(client, categories, key="draft-1")
    data["photos"] = (io.BytesIO(phone_jpeg()), "IMG_0003.jpg")
    first = client.post("/reports/new", data=data, content_type="multipart/form-data",
                        headers={"Accept": "application/json"})
    assert first.status_code == 201, first.get_data(as_text=True)
    report = session.scalar(select(Report).where(Report.submission_key == "draft-1"))
    assert first.get_json() == {"public_id": report.public_id, "url": f"/reports/{report.public_id}",
                                "sent_url": f"/reports/{report.public_id}/sent"}
    # Its answer was lost on the way: the phone sends the same draft, photo and all, again.
    again = draft_from_phone(client, categories, key="draft-1")
    again["photos"] = (io.BytesIO(phone_jpeg()), "IMG_0003.jpg")
    retry = client.post("/reports/new", data=again, content_type="multipart/form-data",
                        headers={"Accept": "application/json"})
    assert retry.status_code == 201 and retry.get_json()["public_id"] == report.public_id
    assert session.scalar(select(func.count()).where(Report.submission_key == "draft-1")) == 1
    assert session.scalar(select(func.count()).where(Photo.report_id == report.id)) == 1


def test_a_draft_the_server_refuses_comes_back_with_its_problems_by_field(client, session, categories):
    data = draft_from_phone(client, categories, key="draft-2", email="ana@", description="")
    response = client.post("/reports/new", data=data, headers={"Accept": "application/json"})
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["expired"] is False
    assert answer["errors"]["email"].startswith("This does not look like an email address")
    assert answer["errors"]["description"] == "Describe the problem, or add a photo of it."
    assert session.scalar(select(func.count()).where(Report.submission_key == "draft-2")) == 0


def test_a_draft_with_a_stale_token_is_told_so_and_makes_nothing(client, session, categories):
    data = draft_from_phone(client, categories, key="draft-3")
    data["csrf_token"] = "from-a-page-kept-since-yesterday"
    response = client.post("/reports/new", data=data, headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.get_json()["expired"] is True
    assert session.scalar(select(func.count()).where(Report.submission_key == "draft-3")) == 0


def test_the_form_may_be_kept_offline_but_not_a_signed_in_persons(client, login_as):
    assert client.get("/reports/new").headers["X-Offline-Copy"] == "keep"
    worker = client.get("/reports/offline.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert "importScripts" in worker.get_data(as_text=True)
    login_as("admin")
    assert "X-Offline-Copy" not in client.get("/reports/new").headers
