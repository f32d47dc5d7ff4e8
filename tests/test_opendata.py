"""Open data exports and Atom feeds: the public facts and lifecycle times, streamed, never the reporter."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from sqlalchemy import select

from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.reports.models import Status

ATOM = "{http://www.w3.org/2005/Atom}"


def private_report(make_report, **overrides):
    return make_report(reporter_email="hidden@example.org", reporter_phone="718-555-0142",
                       reporter_name="Hidden Name", **overrides)


def test_the_csv_export_streams_lifecycle_times_and_nothing_private(client, session, make_report):
    made = datetime.now(UTC) - timedelta(days=3)
    closed = private_report(make_report, created_at=made, acknowledged_at=made + timedelta(hours=2),
                            status=Status.FIXED, closed_at=made + timedelta(hours=30))
    private_report(make_report, category="street-light-out")
    response = client.get("/export/reports.csv")
    assert response.is_streamed and response.content_type == "text/csv; charset=utf-8"
    body = response.get_data(as_text=True)
    for private in ("hidden@example.org", "718-555-0142", "Hidden Name"):
        assert private not in body
    rows = {r["public_id"]: r for r in csv.DictReader(io.StringIO(body))}
    row = rows[closed.public_id]
    assert (row["department_code"], row["state"], row["hours_to_acknowledge"], row["hours_to_close"]) == (
        "dot-bk", "closed", "2.0", "30.0")
    assert len(rows) == 2


def test_the_geojson_export_filters_and_is_valid_geojson(client, session, make_report):
    pothole = private_report(make_report)
    private_report(make_report, category="street-light-out")
    response = client.get("/export/reports.geojson?category=pothole")
    collection = json.loads(response.get_data(as_text=True))
    assert [f["properties"]["public_id"] for f in collection["features"]] == [pothole.public_id]
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [-73.9442, 40.6782]}
    assert "hidden@example.org" not in response.get_data(as_text=True)
    assert client.get("/export/reports.csv?since=last-week").status_code == 400


def test_a_feed_per_department_neighbourhood_and_category(client, session, make_report, departments):
    report = make_report(description="Crater")
    for path in ("/feeds/departments/dot-bk.atom", "/feeds/categories/pothole.atom"):
        response = client.get(path)
        assert response.content_type == "application/atom+xml; charset=utf-8"
        feed = ElementTree.fromstring(response.data)
        [entry] = feed.findall(f"{ATOM}entry")
        assert entry.find(f"{ATOM}link").get("href").endswith(f"/reports/{report.public_id}")
    assert client.get("/feeds/departments/nobody.atom").status_code == 404
    assert client.get("/feeds/people/dot-bk.atom").status_code == 404


def crown_heights(session) -> int:
    return session.scalar(select(Neighbourhood.id).where(Neighbourhood.code == "BK0802"))


def expected_line(values) -> str:
    """A line as Python's csv module writes it: what the export has always been."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def test_the_csv_export_writes_each_value_as_the_csv_module_would(client, session, make_report, categories):
    pothole = categories["pothole"]
    pothole.name = 'Pothole, "deep"'  # a comma and quotes: the field is quoted, its quotes doubled
    made = datetime(2026, 11, 3, 14, 5, 9, 123400, tzinfo=UTC)
    report = private_report(make_report, created_at=made, neighbourhood_id=crown_heights(session),
                            acknowledged_at=made + timedelta(minutes=90, seconds=18), status=Status.FIXED,
                            closed_at=made + timedelta(days=2), due_at=datetime(2026, 11, 6, tzinfo=UTC))
    session.flush()
    body = client.get("/export/reports.csv").get_data(as_text=True)
    header, line = body.split("\r\n")[:2]
    assert header == ",".join(["public_id", "category_code", "category", "department_code", "department",
                               "neighbourhood_code", "neighbourhood", "status", "state", "channel", "created_at",
                               "acknowledged_at", "closed_at", "due_at", "hours_to_acknowledge", "hours_to_close",
                               "removed_by_moderator", "lat", "lon"])
    assert line + "\r\n" == expected_line([
        report.public_id, "pothole", 'Pothole, "deep"', "dot-bk", report.department.name, "BK0802",
        "Crown Heights (North)", "fixed", "closed", "web", "2026-11-03T14:05:09.123400Z", "2026-11-03T15:35:27.123400Z",
        "2026-11-05T14:05:09.123400Z", "2026-11-06T00:00:00Z", 1.51, 48.0, "", 40.6782, -73.9442])
    assert body.endswith("\r\n") and body.count("\r\n") == 2


def test_the_exports_keep_their_filters_and_hide_what_a_moderator_took_away(client, session, make_report):
    old = make_report(created_at=datetime(2026, 10, 30, 23, 59, tzinfo=UTC), neighbourhood_id=crown_heights(session))
    new = make_report(created_at=datetime(2026, 11, 1, tzinfo=UTC), category="street-light-out")
    hidden = private_report(make_report, created_at=datetime(2026, 11, 2, tzinfo=UTC), hidden_reason="spam",
                            neighbourhood_id=crown_heights(session),
                            hidden_at=datetime(2026, 11, 3, tzinfo=UTC))

    def ids(query):
        body = client.get(f"/export/reports.csv?{query}").get_data(as_text=True)
        return [row["public_id"] for row in csv.DictReader(io.StringIO(body))]

    assert ids("") == [old.public_id, new.public_id, hidden.public_id]  # oldest first
    assert ids("since=2026-11-01") == [new.public_id, hidden.public_id]
    assert ids("until=2026-11-01") == [old.public_id]
    assert ids("category=street-light-out") == [new.public_id]
    assert ids("neighbourhood=BK0802&department=dot-bk") == [old.public_id, hidden.public_id]
    assert ids("neighbourhood=MN0301") == []
    body = client.get("/export/reports.csv").get_data(as_text=True)
    assert body.endswith(",spam,,\r\n") and "hidden@example.org" not in body and "718-555-0142" not in body
    features = json.loads(client.get("/export/reports.geojson?since=2026-11-01").get_data(as_text=True))["features"]
    assert [f["properties"]["public_id"] for f in features] == [new.public_id, hidden.public_id]
    assert features[1]["geometry"] is None and features[1]["properties"]["removed_by_moderator"] == "spam"
    assert features[0]["properties"]["created_at"] == "2026-11-01T00:00:00Z"
    assert json.loads(client.get("/export/reports.geojson?category=nothing").get_data(as_text=True)) == {
        "type": "FeatureCollection", "features": []}
