"""While PostgreSQL is down every page answers 503 with Retry-After and plain words; once it is back, the next
request succeeds."""

import json
import threading
import xml.etree.ElementTree as ET

import pytest
from werkzeug.serving import make_server

from seeclick import create_app
from tests.browser import DESKTOP, PHONE, screenshot
from tests.conftest import csrf_token
from tests.faults import DATABASE, sqlalchemy_url

PAGES = ["/", "/reports/new", "/map", "/stats", "/reports/SC-1", "/export/reports.csv?since=2026-01-01",
         "/map/tiles/12/1206/1539.pbf", "/neighbourhoods/BK0802"]


@pytest.fixture
def outage(durable_cluster):
    """An app on the durable cluster, used once while the database is up, then the database stopped."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(durable_cluster.url(DATABASE)),
                      "PROPAGATE_EXCEPTIONS": False})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # the pool now holds connections the stop will break
    durable_cluster.stop()
    try:
        yield app, client
    finally:
        durable_cluster.start()


def test_pages_answer_503_with_retry_after_and_say_nothing_was_lost(outage):
    app, client = outage
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "10" and response.headers["Cache-Control"] == "no-store"
        page = response.get_data(as_text=True)
        assert "Briefly unavailable" in page and "Nothing has been lost" in page, path
        assert "Traceback" not in page and "psycopg2" not in page and "127.0.0.1" not in page


def test_the_report_form_hands_back_what_was_typed_to_send_again(outage):
    app, client = outage
    typed = {"csrf_token": "token-from-the-page", "submission_key": "k-123", "lat": "40.67820", "lon": "-73.94420",
             "category": "7", "description": "Deep hole <b>by</b> the bus stop", "address": "245 Eastern Parkway",
             "email": "ana@example.org", "answer-size": "large", "step": "send"}
    response = client.post("/reports/new", data=typed)
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    page = response.get_data(as_text=True)
    assert "Your report could not be sent just now" in page and "Nothing you typed is lost" in page
    assert "Deep hole &lt;b&gt;by&lt;/b&gt; the bus stop</textarea>" in page  # kept, and escaped
    assert 'value="245 Eastern Parkway"' in page
    for name in ("submission_key", "csrf_token", "lat", "lon", "category", "email", "answer-size", "step"):
        assert f'name="{name}" value="{typed[name]}"' in page, name  # the same key: sending again makes one report
    assert 'action="/reports/new"' in page and "Send again" in page


def test_other_changes_say_nothing_was_changed(outage):
    app, client = outage
    token = csrf_token(client, "/login")  # the sign-in page needs no database
    response = client.post("/reports/SC-1/support", data={"csrf_token": token})
    assert response.status_code == 503
    assert "nothing was changed" in response.get_data(as_text=True)
    signing_in = client.post("/login", data={"csrf_token": token, "email": "a@city.example", "password": "p"})
    assert signing_in.status_code == 503


def test_open311_answers_its_own_error_format_with_503(outage):
    app, client = outage
    for path in ("/open311/v2/services.json", "/open311/v2/requests.json", "/open311/v2/requests/SC-1.json"):
        response = client.get(path)
        assert response.status_code == 503 and response.headers["Retry-After"] == "10"
        [error] = json.loads(response.get_data())
        assert error["code"] == 503 and "Retry" in error["description"]
    posted = client.post("/open311/v2/requests.xml", data={"api_key": "k", "service_code": "pothole", "lat": "40.6",
                                                           "long": "-73.9"})
    assert posted.status_code == 503 and posted.content_type.startswith("text/xml")
    root = ET.fromstring(posted.get_data())
    assert root.tag == "errors" and root.find("error/code").text == "503"


def test_json_clients_get_json(outage):
    app, client = outage
    response = client.get("/reports/place?lat=40.6&lon=-73.9", headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.get_json()["error"] == "Service Unavailable"


def test_a_request_whose_database_goes_away_before_it_ends_is_not_turned_into_a_500(durable_cluster):
    """The page was made; PostgreSQL went away before the session was rolled back at the request's end."""
    from sqlalchemy import text

    from seeclick.extensions import db
    from seeclick.outages import release_session

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(durable_cluster.url(DATABASE))})
    try:
        with app.app_context():
            db.session.execute(text("SELECT 1"))  # a transaction open on a pooled connection
            durable_cluster.stop("immediate")
            release_session()  # what the teardown runs: it must not raise
            assert db.engine.pool.checkedout() == 0
    finally:
        durable_cluster.start()


def test_the_next_request_after_the_database_returns_succeeds(outage, durable_cluster):
    app, client = outage
    assert client.get("/open311/v2/services.json").status_code == 503
    durable_cluster.start()
    assert client.get("/open311/v2/services.json").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200


def test_the_503_page_on_a_phone_and_a_desktop(outage, browser):
    """Screenshots to look at: tests/screenshots/unavailable-*.png."""
    app, client = outage
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
            response = page.goto(f"http://127.0.0.1:{server.server_port}/map")
            assert response.status == 503
            heading = page.locator("h1")
            assert heading.inner_text() == "Briefly unavailable"
            box = heading.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]  # nothing off the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            screenshot(page, f"unavailable-{name}")
            # A report sent during the outage comes back with what was typed, to send again.
            with page.expect_navigation():
                page.evaluate("""() => {
                    const form = Object.assign(document.createElement('form'),
                                               {method: 'post', action: '/reports/new'});
                    for (const [name, value] of [['description', 'Streetlight out at the corner'], ['address',
                            'Nostrand Ave and Union St'], ['submission_key', 'k-9'], ['step', 'send']]) {
                        form.append(Object.assign(document.createElement('input'), {type: 'hidden', name, value}));
                    }
                    document.body.append(form);
                    form.submit();
                }""")
            assert page.locator("textarea#description").input_value() == "Streetlight out at the corner"
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            screenshot(page, f"unavailable-report-{name}")
            context.close()
    finally:
        server.shutdown()
        thread.join()
