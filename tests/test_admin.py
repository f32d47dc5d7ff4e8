"""Admin pages: departments, their service areas from uploaded files, and people."""

import io
import json
import re

import pytest
from sqlalchemy import func, select

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role, User
from seeclick.departments.models import Department, ServiceArea
from seeclick.geo import LatLon
from seeclick.routing import route
from tests.conftest import SHIPPED_DATA, csrf_token

PASSWORD = "correct horse battery staple"


def square_file(x=-73.95, y=40.70, size=0.004, name="Test square"):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    return io.BytesIO(json.dumps(data).encode())


def test_staff_cannot_upload_areas(client, login_as, session):
    login_as("staff", "dot-bk")
    before = session.scalar(select(func.count(ServiceArea.id)))
    response = client.post("/admin/departments/dot-bk/areas", data={
        "csrf_token": csrf_token(client, "/"), "file": (square_file(), "areas.geojson")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    assert session.scalar(select(func.count(ServiceArea.id))) == before


def test_an_admin_creates_a_department_and_gives_it_an_area_that_routing_uses(client, login_as, session,
                                                                             categories):
    login_as("admin")
    page = "/admin/departments/new"
    response = client.post(page, data={"csrf_token": csrf_token(client, page), "code": "dot-bk-crown",
                                       "name": "DOT Crown Heights crew", "agency": "dot"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/departments/dot-bk-crown"
    crew = session.scalar(select(Department).where(Department.code == "dot-bk-crown"))
    crew.categories.append(categories["pothole"])
    session.flush()
    response = client.post("/admin/departments/dot-bk-crown/areas", data={
        "csrf_token": csrf_token(client, "/admin/departments/dot-bk-crown"), "name_property": "name",
        "file": (square_file(-73.946, 40.676), "crown.geojson")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert "Imported 1 areas from EPSG:4326." in client.get("/admin/departments/dot-bk-crown").get_data(as_text=True)
    assert route(categories["pothole"].id, LatLon(40.678, -73.944)).department_id == crew.id


@pytest.mark.parametrize("code, message", [
    ("dot-bk", "There is already a department dot-bk"),
    ("Bad Code!", "a department code is up to 40 lowercase"),
])
def test_a_bad_department_code_is_explained_next_to_the_field(client, login_as, code, message):
    login_as("admin")
    page = "/admin/departments/new"
    response = client.post(page, data={"csrf_token": csrf_token(client, page), "code": code, "name": "Again"})
    assert response.status_code == 422
    errors = re.search(r'id="code-errors">(.*?)</ul>', response.get_data(as_text=True), re.S)[1]
    assert message in errors.replace("&#39;", "'")


def test_a_file_in_state_plane_feet_is_reprojected(client, login_as, session, departments):
    login_as("admin")
    with open(SHIPPED_DATA / "police_precincts.geojson.gz", "rb") as f:
        response = client.post("/admin/departments/nypd/areas", data={
            "csrf_token": csrf_token(client, "/admin/departments/nypd"), "name_property": "precinct",
            "file": (io.BytesIO(f.read()), "precincts.geojson.gz")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert session.scalar(select(func.count(ServiceArea.id)).where(
        ServiceArea.department_id == departments["nypd"].id)) == 77
    assert "from EPSG:2263" in client.get("/admin/departments/nypd").get_data(as_text=True)


def test_a_bad_file_is_explained_feature_by_feature_and_nothing_is_stored(client, login_as, session):
    login_as("admin")
    before = session.scalar(select(func.count(ServiceArea.id)))
    point = {"type": "Point", "coordinates": [-74, 40.7]}
    fine = json.loads(square_file().getvalue())["features"][0]["geometry"]
    bad = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a point"}, "geometry": point},
        {"type": "Feature", "properties": {"name": "fine"}, "geometry": fine}]}
    response = client.post("/admin/departments/dot-bk/areas", data={
        "csrf_token": csrf_token(client, "/admin/departments/dot-bk"), "name_property": "name",
        "file": (io.BytesIO(json.dumps(bad).encode()), "bad.geojson")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "feature 1 (name=a point) is a Point, not a polygon" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(ServiceArea.id))) == before


def test_only_boundary_files_are_taken(client, login_as):
    login_as("admin")
    response = client.post("/admin/departments/dot-bk/areas", data={
        "csrf_token": csrf_token(client, "/admin/departments/dot-bk"),
        "file": (io.BytesIO(b"%PDF-1.4"), "map.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "A GeoJSON or TopoJSON file, or a zipped Shapefile." in response.get_data(as_text=True)


def test_an_area_can_be_removed(client, login_as, session, departments):
    login_as("admin")
    area = session.scalar(select(ServiceArea).where(ServiceArea.department_id == departments["dot-si"].id))
    response = client.post(f"/admin/areas/{area.id}/delete",
                           data={"csrf_token": csrf_token(client, "/admin/departments/dot-si")})
    assert response.status_code == 302
    assert session.scalar(select(func.count(ServiceArea.id)).where(ServiceArea.id == area.id)) == 0


def test_an_admin_creates_and_changes_accounts(client, login_as, session, departments):
    admin = login_as("admin")
    page = "/admin/users/new"
    refused = client.post(page, data={"csrf_token": csrf_token(client, page), "email": "crew@city.example",
                                      "role": "staff", "department": 0, "password": PASSWORD})
    assert refused.status_code == 422 and "A staff belongs to a department" in refused.get_data(as_text=True)
    created = client.post(page, data={"csrf_token": csrf_token(client, page), "email": "crew@city.example",
                                      "role": "staff", "department": departments["dot-bk"].id, "password": PASSWORD})
    assert created.status_code == 302
    crew = session.scalar(select(User).where(User.email == "crew@city.example"))
    assert crew.department == departments["dot-bk"] and crew.check_password(PASSWORD)
    page = f"/admin/users/{crew.id}"
    client.post(page, data={"csrf_token": csrf_token(client, page), "email": crew.email, "role": "manager",
                            "department": departments["dot-qn"].id, "name": "Crew lead"})
    session.refresh(crew)
    assert (crew.role, crew.department, crew.name, crew.active) == (Role.MANAGER, departments["dot-qn"], "Crew lead",
                                                                    False)
    # Nobody locks themselves out.
    mine = f"/admin/users/{admin.id}"
    response = client.post(mine, data={"csrf_token": csrf_token(client, mine), "email": admin.email,
                                       "role": "staff", "department": departments["dot-bk"].id, "active": "y"})
    assert response.status_code == 422 and "cannot remove your own administrator access" in response.get_data(
        as_text=True)


# --- categories -----------------------------------------------------------------------------

def category_data(category, **changes):
    data = {"code": category.code, "name": category.name, "description": category.description,
            "group": category.group, "keywords": ", ".join(category.keywords), "sla_hours": category.sla_hours,
            "fallback": category.fallback_department_id or 0, "handlers": [d.id for d in category.departments],
            "active": "y" if category.active else ""}
    data.update(changes)
    return data


@pytest.mark.parametrize("role, expected", [(None, 302), ("citizen", 403), ("admin", 200)])
def test_category_pages_are_for_admins(client, login_as, role, expected):
    if role:
        login_as(role)
    assert client.get("/admin/categories").status_code == expected
    assert client.get("/admin/categories/pothole").status_code == expected


def test_changing_who_handles_a_category_changes_routing(client, login_as, session, categories, departments):
    login_as("admin")
    page = "/admin/categories/pothole"
    pothole = categories["pothole"]
    # Potholes in Brooklyn now go to Brooklyn's sanitation district instead of DOT (an odd city, but its choice).
    handlers = [d.id for d in pothole.departments if d.code != "dot-bk"] + [departments["dsny-bk03"].id]
    response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                       **category_data(pothole, handlers=handlers, sla_hours=72)})
    assert response.status_code == 302
    session.refresh(pothole)
    assert pothole.sla_hours == 72
    assert route(pothole.id, LatLon(40.6782, -73.9442)).department_id == departments["dsny-bk03"].id


@pytest.mark.parametrize("changes, field, message", [
    ({"sla_hours": 0}, "sla_hours", "between 1 and 8,760"),
    ({"name": " "}, "name", "Give the category a name"),
    ({"handlers": [], "fallback": 0}, "fallback", "Nobody would handle it"),
])
def test_a_category_change_that_breaks_it_is_refused(client, login_as, session, categories, changes, field,
                                                      message):
    login_as("admin")
    page = "/admin/categories/pothole"
    response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                       **category_data(categories["pothole"], **changes)})
    assert response.status_code == 422
    assert message in re.search(rf'id="{field}-errors">(.*?)</ul>', response.get_data(as_text=True), re.S)[1]
    session.refresh(categories["pothole"])
    assert categories["pothole"].sla_hours == 240


def test_questions_are_added_with_their_choices_and_removed(client, login_as, session, categories):
    login_as("admin")
    page = "/admin/categories/pothole"
    refused = client.post(f"{page}/questions", data={"csrf_token": csrf_token(client, page), "code": "lane",
                                                     "prompt": "Which lane?", "datatype": "singlevaluelist"})
    assert refused.status_code == 422 and "needs its choices" in refused.get_data(as_text=True)
    added = client.post(f"{page}/questions", data={
        "csrf_token": csrf_token(client, page), "code": "lane", "prompt": "Which lane?",
        "datatype": "singlevaluelist", "required": "y", "values": "left | Left lane\nRight lane\n"})
    assert added.status_code == 302
    pothole = categories["pothole"]
    session.refresh(pothole)
    lane = pothole.questions[-1]
    assert (lane.code, lane.required, lane.values) == ("lane", True, [
        {"key": "left", "name": "Left lane"}, {"key": "right_lane", "name": "Right lane"}])
    twice = client.post(f"{page}/questions", data={"csrf_token": csrf_token(client, page), "code": "lane",
                                                   "prompt": "Again?", "datatype": "string"})
    assert twice.status_code == 422 and "already asks lane" in twice.get_data(as_text=True)
    client.post(f"{page}/questions/{lane.id}/delete", data={"csrf_token": csrf_token(client, page)})
    session.expire_all()
    assert [q.code for q in categories["pothole"].questions] == ["size"]


def test_a_new_category_needs_a_fresh_code(client, login_as, session, departments):
    login_as("admin")
    page = "/admin/categories/new"
    taken = client.post(page, data={"csrf_token": csrf_token(client, page), "code": "pothole", "name": "Again",
                                    "sla_hours": 24, "fallback": departments["dot"].id})
    assert taken.status_code == 422 and "already a category pothole" in taken.get_data(as_text=True)
    made = client.post(page, data={"csrf_token": csrf_token(client, page), "code": "graffiti", "name": "Graffiti",
                                   "sla_hours": 240, "fallback": departments["dsny"].id, "active": "y"})
    assert made.status_code == 302 and made.headers["Location"] == "/admin/categories/graffiti"


def test_edit_forms_show_what_is_stored(client, login_as, session, departments):
    admin = login_as("admin")
    page = client.get("/admin/categories/no-heat").get_data(as_text=True)
    assert 'value="heating, boiler"' in page
    assert re.search(r'<option selected value="\d+">HPD Brooklyn Code Enforcement \(hpd-bk\)</option>', page)
    crew = accounts.create_user("crew2@city.example", PASSWORD, Role.STAFF, departments["dot-bk"])
    session.flush()
    page = client.get(f"/admin/users/{crew.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="\d+">DOT Brooklyn Borough Office</option>', page)
    assert '<option selected value="staff">' in page
    assert admin.email in client.get("/admin/users").get_data(as_text=True)


def test_a_new_category_may_be_handled_only_locally(client, login_as, session, departments):
    login_as("admin")
    page = "/admin/categories/new"
    made = client.post(page, data={"csrf_token": csrf_token(client, page), "code": "bike-lane",
                                   "name": "Blocked bike lane", "sla_hours": 48, "fallback": 0,
                                   "handlers": [departments["dot-bk"].id], "active": "y"})
    assert made.status_code == 302


@pytest.mark.parametrize("role, department", [("staff", "dot-bk"), ("manager", "dot-bk"), ("citizen", None)])
@pytest.mark.parametrize("path", ["/admin/categories/pothole", "/admin/categories/pothole/questions",
                                  "/admin/categories/new", "/admin/departments/dot-bk", "/admin/users/new"])
def test_no_admin_change_is_open_to_others(client, login_as, session, categories, role, department, path):
    login_as(role, department)
    response = client.post(path, data={"csrf_token": csrf_token(client, "/"), "code": "graffiti", "name": "Taken over",
                                       "sla_hours": 1, "prompt": "?", "datatype": "string", "email": "x@y.example"})
    assert response.status_code == 403
    session.refresh(categories["pothole"])
    assert categories["pothole"].name == "Pothole" and categories["pothole"].sla_hours == 240


def test_account_errors_are_shown_next_to_their_field(client, login_as, departments):
    login_as("admin")
    page = "/admin/users/new"
    body = client.post(page, data={"csrf_token": csrf_token(client, page), "email": "crew3@city.example",
                                   "role": "admin", "department": 0, "password": "short"}).get_data(as_text=True)
    assert "at least 12 characters" in re.search(r'id="password-errors">(.*?)</ul>', body, re.S)[1]


def test_names_from_uploaded_files_are_shown_as_text_on_maps(client, login_as):
    login_as("admin")
    client.post("/admin/departments/dot-bk/areas", data={
        "csrf_token": csrf_token(client, "/admin/departments/dot-bk"), "name_property": "name",
        "file": (square_file(name="<img src=x onerror=alert(1)>"), "evil.geojson")}, content_type="multipart/form-data")
    page = client.get("/admin/departments/dot-bk").get_data(as_text=True)
    script = page[page.rindex("<script nonce="):]
    # The name is in the data HTML-escaped (&lt;img...), which Folium's JSON writes as \u0026lt;img...
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in script
    assert "<img" not in script and "\\u003cimg" not in script


def test_an_admin_makes_a_key_that_posts_then_revokes_it(client, login_as, session):
    login_as("admin")
    page = "/admin/api-keys"
    made = client.post(page, data={"csrf_token": csrf_token(client, page), "name": "City app (iOS)"})
    key = re.search(r'<code class="secret">([^<]+)</code>', made.get_data(as_text=True))[1]
    post = {"api_key": key, "service_code": "traffic-signal", "lat": "40.6782", "long": "-73.9442"}
    assert client.post("/open311/v2/requests.json", data=post).status_code == 200
    listing = client.get(page).get_data(as_text=True)
    assert "City app (iOS)" in listing and key not in listing  # shown once, never again
    key_id = re.search(r'/admin/api-keys/(\d+)/revoke', listing)[1]
    client.post(f"/admin/api-keys/{key_id}/revoke", data={"csrf_token": csrf_token(client, page)})
    assert client.post("/open311/v2/requests.json", data=post).status_code == 403
