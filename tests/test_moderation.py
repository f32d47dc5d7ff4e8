"""Moderation and privacy: what a moderator takes back, and what is private, appears in no public output."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import mapbox_vector_tile
import pytest
from sqlalchemy import func, select

from seeclick.moderation import services as moderation
from seeclick.moderation.models import Flag, Moderation, Reason, Resolution
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.notifications import watching
from seeclick.notifications.models import Notification
from seeclick.photos import services as photos
from seeclick.publicmap import tiles
from seeclick.reports import queries as report_queries
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Report
from seeclick.stats import queries as stats
from seeclick.stats import services as stats_services
from tests.conftest import CROWN_HEIGHTS, csrf_token
from tests.test_open311 import post
from tests.test_photos import phone_jpeg

PHONE = "718-555-0134"
NOTE_NAME = "Mr Secretname"
FLAT = "4B-SECRET"
SPAM = "SPAMWORDS-XYZ"


@pytest.fixture
def crown(session):
    return session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))


@pytest.fixture
def moderator(make_user):
    return make_user("manager", "dot-bk", email="moderator@city.example")


@pytest.fixture
def moderated(session, make_report, crown, moderator, categories, make_user):
    """A redacted description, a hidden photo and a hidden note on one report; a private answer on another;
    a third report hidden whole; and the watch of the neighbourhood they are in."""
    watch = watching.watch_neighbourhood(crown, "watcher@example.org")
    watch.confirmed_at = watch.covered_until = datetime.now(UTC) - timedelta(hours=1)
    redacted = make_report(description=f"Deep hole. Call the super on {PHONE} anytime.", neighbourhood_id=crown.id,
                           address="Eastern Parkway and Nostrand Ave")
    photo, _ = photos.stage(phone_jpeg(), "hole.jpg")
    photos.attach([photo], redacted)
    clerk = make_user("staff", "dot-bk", email="clerk@city.example")
    note = lifecycle.add_note(redacted, clerk, f"Crew sent. Ask for {NOTE_NAME} at the door.", public=True)
    heat = categories["no-heat"]
    flat = make_report("no-heat", description="No heat since Monday", neighbourhood_id=crown.id,
                       answers={"apartment": FLAT, "whole_building": "yes"})
    spam = make_report(description=f"Buy now {SPAM}", neighbourhood_id=crown.id)
    session.flush()
    old_token = photo.token
    moderation.redact(redacted, moderator, "description", PHONE, Reason.PERSONAL_INFORMATION)
    moderation.hide_photo(photo, moderator, Reason.PERSONAL_INFORMATION)
    moderation.hide_note(note, moderator, Reason.PERSONAL_INFORMATION)
    moderation.hide_report(spam, moderator, Reason.SPAM, "Advert")
    session.flush()
    assert any(q.code == "apartment" and q.private for q in heat.questions)
    return {"redacted": redacted, "flat": flat, "spam": spam, "photo": photo, "tokens": [old_token, photo.token],
            "note": note}


def secrets_in(text: str, moderated, listed_ok: bool = False) -> list[str]:
    """Which of the things taken from the public (or private) appear in a public output; a hidden report's
    tracking number may appear only where `listed_ok` (its own page, and the open data that counts it)."""
    found = [s for s in (PHONE, NOTE_NAME, FLAT, SPAM, *moderated["tokens"]) if s in text]
    hidden_id = moderated["spam"].public_id
    if not listed_ok and re.search(rf"\b{hidden_id}\b", text):
        found.append(f"#{hidden_id}")
    return found


def decoded_tile(client, where, z):
    x, y = tiles.cell_of(where.lon, where.lat, z)
    response = client.get(f"/map/tiles/{z}/{x}/{y}.pbf?status=all")
    assert response.status_code == 200
    return json.dumps({name: [f["properties"] for f in layer["features"]]
                       for name, layer in mapbox_vector_tile.decode(response.data).items()})


def test_no_public_output_shows_what_was_taken_back_or_is_private(client, session, moderated, crown):
    """Crawl every public output: pages, tiles, feeds, exports, Open311 (JSON and XML, with and without
    extensions), nearby suggestions, the daily digest; none holds a moderated or private thing."""
    redacted, flat, spam = moderated["redacted"], moderated["flat"], moderated["spam"]
    outputs = {}
    for path in (f"/reports/{redacted.public_id}", f"/reports/{redacted.public_id}/sent",
                 f"/reports/{flat.public_id}", f"/reports/{spam.public_id}", f"/reports/{spam.public_id}/sent",
                 "/", "/map", f"/neighbourhoods/{crown.code}", "/stats",
                 f"/feeds/neighbourhoods/{crown.code}.atom", "/feeds/departments/dot-bk.atom",
                 "/feeds/categories/pothole.atom", "/feeds/categories/no-heat.atom",
                 "/export/reports.csv", "/export/reports.geojson",
                 "/open311/v2/requests.json", "/open311/v2/requests.xml",
                 "/open311/v2/requests.json?extensions=true", "/open311/v2/requests.xml?extensions=true",
                 f"/open311/v2/requests/{redacted.public_id}.json?extensions=true",
                 f"/open311/v2/requests/{redacted.public_id}.xml?extensions=true",
                 f"/open311/v2/requests/{flat.public_id}.json?extensions=true",
                 f"/open311/v2/requests.json?lat={CROWN_HEIGHTS.lat}&long={CROWN_HEIGHTS.lon}&radius=200",
                 f"/reports/place?lat={CROWN_HEIGHTS.lat}&lon={CROWN_HEIGHTS.lon}&category={redacted.category_id}",
                 f"/reports/new?lat={CROWN_HEIGHTS.lat}&lon={CROWN_HEIGHTS.lon}"):
        response = client.get(path)
        assert response.status_code in (200, 410), (path, response.status_code)
        outputs[path] = response.get_data(as_text=True)
    for z in (tiles.POINTS_FROM_ZOOM, 15, 12):
        outputs[f"tile {z}"] = decoded_tile(client, CROWN_HEIGHTS, z)
    for report in (redacted, flat):  # what a report's page reads: nothing private even before it is shown
        outputs[f"the page of #{report.public_id}, as read"] = report_queries.page(report.public_id).text
    for token in moderated["tokens"]:
        for path in (f"/photos/{token}.jpg", f"/photos/{token}/thumb.jpg"):
            assert client.get(path).status_code == 404, path  # the photo is not served to the public
    watching.send_digests(datetime.now(UTC) + timedelta(seconds=1))
    outputs["digest"] = " ".join(session.scalars(select(Notification.body).where(
        Notification.recipient == "watcher@example.org", Notification.event == "digest")).all())
    assert outputs["digest"] and redacted.public_id in outputs["digest"]

    listed_ok = {f"/reports/{spam.public_id}", f"/reports/{spam.public_id}/sent", "/export/reports.csv",
                 "/export/reports.geojson"}
    leaks = {where: found for where, text in outputs.items()
             if (found := secrets_in(text, moderated, listed_ok=where in listed_ok))}
    assert leaks == {}

    # What stands in their place says that a moderator removed them, and why (not what).
    page = outputs[f"/reports/{redacted.public_id}"]
    assert "[removed by a moderator: personal information]" in page
    assert page.lower().count("removed by a moderator: personal information") == 3  # the text, the photo, the note
    assert "Apartment number" not in outputs[f"/reports/{flat.public_id}"]
    assert "Is the whole building affected?" in outputs[f"/reports/{flat.public_id}"]
    assert client.get(f"/reports/{spam.public_id}").status_code == 410
    assert "removed by a moderator" in outputs[f"/reports/{spam.public_id}"] and "spam" in outputs[
        f"/reports/{spam.public_id}"]
    notes = json.loads(outputs[f"/open311/v2/requests/{redacted.public_id}.json?extensions=true"])[0]["notes"]
    assert "Removed by a moderator: personal information" in [n["description"] for n in notes]
    assert client.get(f"/open311/v2/requests/{spam.public_id}.json").status_code == 404


def test_a_hidden_report_still_counts_in_the_figures_and_the_open_data(client, session, moderated):
    stats_services.fold()
    city = stats.city()
    reports = session.scalar(select(func.count()).select_from(Report).where(
        Report.created_at >= datetime.now(UTC) - timedelta(days=365)))
    assert city.reports == reports  # the hidden one included
    rows = list(csv.DictReader(io.StringIO(client.get("/export/reports.csv").get_data(as_text=True))))
    [spam] = [r for r in rows if r["public_id"] == moderated["spam"].public_id]
    assert spam["removed_by_moderator"] == "spam" and spam["lat"] == spam["lon"] == "" and spam["category"]
    features = json.loads(client.get("/export/reports.geojson").get_data(as_text=True))["features"]
    [spam_feature] = [f for f in features if f["properties"]["public_id"] == moderated["spam"].public_id]
    assert spam_feature["geometry"] is None


def test_a_moderator_sees_the_originals_and_undoes_every_act(client, session, moderated, login_as):
    redacted, photo, note = moderated["redacted"], moderated["photo"], moderated["note"]
    login_as("manager", "dot-bk", email="undo@city.example")
    ticket = client.get(f"/staff/reports/{redacted.public_id}").get_data(as_text=True)
    assert PHONE in ticket and "Description redacted" in ticket and NOTE_NAME in ticket
    token = csrf_token(client, f"/staff/reports/{redacted.public_id}")
    assert client.get(f"/photos/{photo.token}.jpg").status_code == 200  # a moderator still sees it
    client.post(f"/staff/reports/{redacted.public_id}/moderation/restore-description", data={"csrf_token": token})
    client.post(f"/staff/photos/{photo.id}/show", data={"csrf_token": token})
    client.post(f"/staff/notes/{note.id}/show", data={"csrf_token": token})
    client.post("/logout", data={"csrf_token": token})
    session.refresh(redacted)
    assert redacted.description == f"Deep hole. Call the super on {PHONE} anytime."
    page = client.get(f"/reports/{redacted.public_id}").get_data(as_text=True)
    assert PHONE in page and NOTE_NAME in page and "removed by a moderator" not in page
    assert client.get(f"/photos/{photo.token}.jpg").status_code == 200
    acts = session.scalars(select(Moderation.act).where(Moderation.report_id == redacted.id)
                           .order_by(Moderation.id)).all()
    assert [a.value for a in acts] == ["redact_description", "hide_photo", "hide_note", "restore_description",
                                       "show_photo", "show_note"]


def test_the_log_of_updates_stays_immutable_while_a_note_is_hidden(session, moderated):
    note = moderated["note"]
    session.refresh(note)
    assert NOTE_NAME in note.body  # the note itself is unchanged; a row beside it hides it


@pytest.mark.parametrize("role, department, staff_moderate, allowed", [
    ("staff", "dot-bk", False, False), ("staff", "dot-bk", True, True), ("manager", "dot-bk", False, True),
    ("manager", "dot-qn", False, False), ("admin", None, False, True),
])
def test_who_may_moderate(client, session, make_report, login_as, departments, role, department, staff_moderate,
                          allowed):
    departments["dot-bk"].staff_moderate = staff_moderate
    report = make_report(description="Spray paint")
    login_as(role, department)
    page = client.get(f"/staff/reports/{report.public_id}")
    token = csrf_token(client, "/")
    response = client.post(f"/staff/reports/{report.public_id}/moderation/hide",
                           data={"csrf_token": token, "reason": "abuse"})
    session.refresh(report)
    assert (report.hidden_reason is Reason.ABUSE) is allowed
    assert response.status_code == (303 if allowed else 403)
    if page.status_code == 200:
        assert ('id="moderation"' in page.get_data(as_text=True)) is allowed
    queue = client.get("/staff/moderation")  # every manager has a queue: their own department's
    assert queue.status_code == (200 if allowed or role == "manager" else 403)


def test_an_act_needs_a_reason_the_public_can_read(client, session, make_report, login_as):
    report = make_report(description="Spray paint")
    login_as("manager", "dot-bk")
    page = f"/staff/reports/{report.public_id}"
    answered = client.post(f"{page}/moderation/hide", data={"csrf_token": csrf_token(client, page), "reason": ""},
                           follow_redirects=True).get_data(as_text=True)
    assert "Choose the reason the public will read." in answered
    answered = client.post(f"{page}/moderation/redact-description",
                           data={"csrf_token": csrf_token(client, page), "reason": "abuse", "remove": "not there"},
                           follow_redirects=True).get_data(as_text=True)
    assert "Those words are not in the text as it stands" in answered
    session.refresh(report)
    assert report.hidden_reason is None and report.description == "Spray paint"


def test_citizens_flag_a_report_once_each_and_a_moderator_answers(client, session, make_report, login_as):
    report = make_report(description="Rude words here")
    page = f"/reports/{report.public_id}"
    assert "Report a problem with this report" in client.get(page).get_data(as_text=True)
    for _ in range(2):  # the same person twice: one flag
        answered = client.post(f"{page}/flag", data={"csrf_token": csrf_token(client, page), "reason": "abuse",
                                                     "note": "Slur in the description"}, follow_redirects=True)
        assert "a moderator will look at it" in answered.get_data(as_text=True)
    client.set_cookie("seeclick_browser", "another-browser")
    client.post(f"{page}/flag", data={"csrf_token": csrf_token(client, page), "reason": "personal_information"})
    flags = session.scalars(select(Flag).where(Flag.report_id == report.id)).all()
    assert sorted(f.reason.value for f in flags) == ["abuse", "personal_information"]
    assert "Slur in the description" not in client.get(page).get_data(as_text=True)  # the note is for moderators

    login_as("manager", "dot-bk")
    queue = client.get("/staff/moderation").get_data(as_text=True)
    assert f"#{report.public_id}" in queue and "abusive or offensive" in queue
    only_spam = client.get("/staff/moderation?reason=duplicate").get_data(as_text=True)
    assert f"#{report.public_id}" not in only_spam
    assert "Flagged by the public" in client.get("/staff/queue").get_data(as_text=True)
    client.post("/staff/moderation/bulk", data={"csrf_token": csrf_token(client, "/staff/moderation"),
                                                "action": "hide", "reason": "abuse", "report": report.public_id})
    session.expire_all()
    assert report.hidden_reason is Reason.ABUSE
    assert {f.resolution for f in session.scalars(select(Flag).where(Flag.report_id == report.id))} == {
        Resolution.UPHELD}
    assert f"#{report.public_id}" not in client.get("/staff/moderation").get_data(as_text=True)


def test_a_flag_without_a_reason_is_explained_and_flags_are_throttled(client, session, make_report):
    report = make_report()
    page = f"/reports/{report.public_id}"
    answered = client.post(f"{page}/flag", data={"csrf_token": csrf_token(client, page)}, follow_redirects=True)
    assert "Choose what is wrong with this report" in answered.get_data(as_text=True)
    statuses = [client.post(f"{page}/flag", data={"csrf_token": csrf_token(client, page), "reason": "abuse"}
                            ).status_code for _ in range(12)]
    assert statuses[-1] == 429 and 303 in statuses


def test_the_reporter_asks_from_their_receipt_for_their_report_to_be_taken_down(client, session, categories):
    from tests.test_citizen_reports import report_form

    client.post("/reports/new", data=report_form(client, categories, email="ana@example.org", key="takedown-1"))
    report = session.scalar(select(Report).where(Report.submission_key == "takedown-1"))
    [receipt] = session.scalars(select(Notification.body).where(Notification.report_id == report.id)).all()
    link = re.search(r"https?://[^/\s]+(/follow/[^/\s]+/takedown)", receipt)[1]
    page = client.get(link)
    assert page.status_code == 200 and "take it down" in page.get_data(as_text=True)
    client.post(link, data={"csrf_token": csrf_token(client, link), "note": "I wrote my own address"})
    [flag] = session.scalars(select(Flag).where(Flag.report_id == report.id)).all()
    assert flag.from_reporter and flag.reason is Reason.REPORTER_REQUEST
    # A follower who is not the reporter cannot use the page.
    follow = f"/reports/{report.public_id}"
    client.post(f"{follow}/follow", data={"csrf_token": csrf_token(client, follow), "email": "bo@example.org"})
    [confirm] = session.scalars(select(Notification.body).where(Notification.recipient == "bo@example.org")).all()
    token = re.search(r"/follow/([^/\s]+)/confirm", confirm)[1]
    assert client.get(f"/follow/{token}/takedown").status_code == 404


def test_contact_details_in_the_description_are_caught_before_they_are_public(client, session, categories):
    from tests.test_citizen_reports import errors_on, report_form

    data = report_form(client, categories, description=f"Landlord never answers, call him on {PHONE}",
                       key="contact-1")
    asked = client.post("/reports/new", data=data)
    assert asked.status_code == 422
    page = asked.get_data(as_text=True)
    assert any(PHONE in e and "public" in e for e in errors_on(page))
    assert "Keep it as written" in page and session.scalar(
        select(func.count()).where(Report.submission_key == "contact-1")) == 0
    kept = client.post("/reports/new", data={**data, "csrf_token": csrf_token(client, "/reports/new"),
                                             "contact_ok": "y"})
    assert kept.status_code == 303
    report = session.scalar(select(Report).where(Report.submission_key == "contact-1"))
    assert report.contact_in_text and PHONE in report.description


def test_open311_reports_with_contact_details_are_kept_and_marked_for_staff(client, session, api_key):
    [made] = post(client, api_key=api_key, service_code="street-light-out", lat="40.6782", long="-73.9442",
                  description="Tag on the wall, owner is jo@example.org")
    report = session.scalar(select(Report).where(Report.public_id == made["service_request_id"]))
    assert report.contact_in_text


def test_a_review_first_category_holds_new_reports_until_a_moderator_publishes(client, session, categories,
                                                                               login_as):
    from tests.test_citizen_reports import report_form

    categories["pothole"].review_first = True
    session.flush()
    sent = client.post("/reports/new", data=report_form(client, categories, key="review-1"))
    report = session.scalar(select(Report).where(Report.submission_key == "review-1"))
    assert report.hidden_reason is Reason.AWAITING_REVIEW
    assert "read by a moderator before they are public" in client.get(sent.headers["Location"]).get_data(
        as_text=True)
    public = client.get(f"/reports/{report.public_id}")
    assert public.status_code == 200 and "waiting for a moderator" in public.get_data(as_text=True)
    assert report.public_id not in client.get("/open311/v2/requests.json").get_data(as_text=True)
    login_as("manager", "dot-bk")
    assert f"#{report.public_id}" in client.get("/staff/moderation").get_data(as_text=True)
    client.post("/staff/moderation/bulk", data={"csrf_token": csrf_token(client, "/staff/moderation"),
                                                "action": "publish", "report": report.public_id})
    session.refresh(report)
    assert report.hidden_reason is None
    assert client.get(f"/reports/{report.public_id}").status_code == 200
    assert report.public_id in client.get("/open311/v2/requests.json").get_data(as_text=True)


def test_open311_lists_a_private_question_so_clients_can_send_it(client):
    definition = client.get("/open311/v2/services/no-heat.json").get_json()
    [flat] = [a for a in definition["attributes"] if a["code"] == "apartment"]
    assert flat["datatype_description"] == "Private: only staff see the answer."
    xml = ElementTree.fromstring(client.get("/open311/v2/services/no-heat.xml").data)
    assert "apartment" in [a.findtext("code") for a in xml.iter("attribute")]


def test_an_administrator_makes_a_question_private_and_the_importer_keeps_questions_public_unless_told(
        client, session, login_as, categories, cli, tmp_path):
    login_as("admin")
    pothole = categories["pothole"]
    size = pothole.questions[0]
    page = "/admin/categories/pothole"
    client.post(f"{page}/questions/{size.id}/private", data={"csrf_token": csrf_token(client, page)})
    session.refresh(size)
    assert size.private
    services = [{"service_code": "sc-1", "service_name": "Leak", "metadata": True, "group": "Water"}]
    (tmp_path / "services.json").write_text(json.dumps(services))
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "sc-1.json").write_text(json.dumps({"service_code": "sc-1", "attributes": [
        {"code": "unit", "datatype": "string", "description": "Unit", "variable": True, "required": False,
         "order": 1},
        {"code": "colour", "datatype": "string", "description": "Colour", "variable": True, "required": False,
         "order": 2}]}))
    result = cli.invoke(args=["open311", "import", str(tmp_path / "services.json"), "--definitions",
                              str(tmp_path / "defs"), "--desk", "dep", "--private", "unit"])
    assert result.exit_code == 0, result.output
    from seeclick.categories.queries import by_code

    questions = {q.code: q.private for q in by_code("sc-1").questions}
    assert questions == {"unit": True, "colour": False}


def test_moderation_needs_its_own_right_on_its_own_department(session, make_report, make_user):
    from seeclick.accounts.permissions import NotAllowed

    report = make_report()
    with pytest.raises(NotAllowed):
        moderation.hide_report(report, make_user("staff", "dot-bk"), Reason.ABUSE)
    with pytest.raises(NotAllowed):
        moderation.hide_report(report, make_user("manager", "dot-qn"), Reason.ABUSE)
    moderation.hide_report(report, make_user("manager", "dot-bk"), Reason.ABUSE)
    assert report.hidden_reason is Reason.ABUSE
