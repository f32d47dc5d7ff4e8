"""Open data exports and Atom feeds: the public facts and lifecycle times, streamed, never the reporter."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

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
