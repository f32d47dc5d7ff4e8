"""Maps drawn with their templates kept between renders are the same HTML as Folium drawing them afresh,
and a map drawn for one page is placed again on the next that shows the same thing in the same language."""

import itertools
import json
import re
import threading
from datetime import UTC, datetime, timedelta

import branca.element
import folium.features
import folium.template
import jinja2
import pytest
from sqlalchemy import select

from seeclick import caching, maps, warmup
from seeclick.geo import LatLon, from_db, latlon, to_db
from seeclick.moderation.models import Reason
from seeclick.neighbourhoods import queries as neighbourhoods
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.reports.models import Status
from seeclick.stats import views as stats_views
from tests.conftest import CROWN_HEIGHTS, RequestContextClient

PARK_SLOPE = LatLon(40.6710, -73.9814)

DRAWN = {
    "the city and its neighbourhoods (home page)": lambda: maps.city_map(neighbourhoods.outlines()),
    "every report as tiles (/map)": lambda: maps.reports_map("/map/tiles/{z}/{x}/{y}.pbf"),
}


def drawn(app, monkeypatch, build) -> maps.MapParts:
    """The map's parts, its elements named in order (Folium names each at random)."""
    names = itertools.count()
    monkeypatch.setattr(branca.element.Element, "_generate_id", classmethod(lambda cls: f"{next(names):032x}"))
    with app.test_request_context("/"):
        return maps.parts(build())


@pytest.mark.parametrize("build", DRAWN.values(), ids=DRAWN.keys())
def test_a_map_is_the_same_html_whether_its_templates_are_kept_or_compiled_each_time(app, session, monkeypatch,
                                                                                    build):
    kept = [drawn(app, monkeypatch, build) for _ in range(2)]  # the second from what the first kept
    monkeypatch.setattr(branca.element, "Template", jinja2.Template)  # Folium as it comes: all compiled again
    monkeypatch.setattr(folium.features, "Template", folium.template.Template)
    afresh = drawn(app, monkeypatch, build)
    assert kept[0] == kept[1] == afresh
    assert "L.map(" in afresh.script and afresh.html.startswith("\n")


def test_a_text_renders_as_jinja_renders_it():
    for text in ("", "a", "a\n", "a\n\n", "a\r\nb\rc\n", "\n  var x = {a: 1};\n"):
        assert maps._Text(text).render(this=None, kwargs={}) == jinja2.Template(text).render(), repr(text)


def map_div(page: str) -> str:
    """The id of the page's map (Folium names each map it draws anew at random)."""
    return re.search(r'<div class="folium-map" id="(map_[0-9a-f]+)"', page).group(1)


def in_order(monkeypatch):
    """Name the elements drawn from now on in order, from the first."""
    names = itertools.count()
    monkeypatch.setattr(branca.element.Element, "_generate_id", classmethod(lambda cls: f"{next(names):032x}"))


@pytest.mark.parametrize("approximate", [False, True], ids=["a pin", "a ring (placed without the map)"])
def test_a_report_map_from_the_kept_drawing_is_the_map_drawn_for_its_place(app, session, monkeypatch, make_report,
                                                                           approximate):
    report = make_report(location_approximate=approximate)
    with app.test_request_context("/"):
        in_order(monkeypatch)
        placed = maps.report_map_parts(report)
        in_order(monkeypatch)
        afresh = maps.parts(maps.place_map(CROWN_HEIGHTS, approximate))
    assert placed == afresh
    assert ("L.circle(" if approximate else "L.circleMarker(") in placed.script


def test_every_report_page_places_one_drawing_of_the_map_at_its_own_place(client, session, make_report):
    here, there = make_report(), make_report(where=PARK_SLOPE)
    first, second = (client.get(f"/reports/{r.public_id}").get_data(as_text=True) for r in (here, there))
    assert map_div(first) == map_div(second)  # the second page placed the map the first drew
    assert f"[{CROWN_HEIGHTS.lat}, {CROWN_HEIGHTS.lon}]" in first and f"{PARK_SLOPE.lat}" not in first
    assert f"[{PARK_SLOPE.lat}, {PARK_SLOPE.lon}]" in second and f"{CROWN_HEIGHTS.lat}" not in second
    assert str(maps.STAND_IN[0]) not in first + second
    here.location = to_db(PARK_SLOPE.to_point())  # staff placed it better
    session.flush()
    moved = client.get(f"/reports/{here.public_id}").get_data(as_text=True)
    assert f"[{PARK_SLOPE.lat}, {PARK_SLOPE.lon}]" in moved and f"{CROWN_HEIGHTS.lat}" not in moved


@pytest.mark.parametrize("where", [None, CROWN_HEIGHTS], ids=["the city", "a place"])
def test_the_report_forms_map_from_the_kept_drawing_is_the_map_drawn_for_it(app, session, monkeypatch, where):
    with app.test_request_context("/"):
        for _ in range(2):  # drawn, then from what was kept
            in_order(monkeypatch)
            placed, name = maps.report_form_map_parts(where)
            in_order(monkeypatch)
            m = maps.report_form_map(where)
            assert (placed, name) == (maps.parts(m), m.get_name())


def test_every_report_form_places_one_drawing_of_its_map_where_it_was_asked_for(client, session):
    """The form's script finds the map by the name it is given; each page centres it on its own place."""
    plain, here, there = (client.get(path).text for path in (
        "/reports/new", f"/reports/new?lat={CROWN_HEIGHTS.lat}&lon={CROWN_HEIGHTS.lon}",
        f"/reports/new?lat={PARK_SLOPE.lat}&lon={PARK_SLOPE.lon}"))
    for page in (plain, here, there):
        assert f'data-map="{map_div(page)}"' in page
    assert map_div(here) == map_div(there) != map_div(plain)
    assert f"[{CROWN_HEIGHTS.lat}, {CROWN_HEIGHTS.lon}]" in here and f"{PARK_SLOPE.lat}" not in here
    assert f"[{PARK_SLOPE.lat}, {PARK_SLOPE.lon}]" in there and f"{CROWN_HEIGHTS.lat}" not in there
    assert str(maps.STAND_IN[0]) not in plain + here + there


@pytest.mark.parametrize("reports", [3, 0], ids=["open reports", "none open"])
def test_a_neighbourhood_map_from_the_kept_drawing_is_the_map_drawn_for_its_outline_and_reports(app, monkeypatch,
                                                                                              reports):
    """Names and categories that are markup or would end a script come out as Folium writes them afresh."""
    outline = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": 'Crown <b>Heights</b> & "North"'},
         "geometry": {"type": "Polygon", "coordinates": [[[-73.96, 40.66], [-73.93, 40.66], [-73.93, 40.68],
                                                          [-73.96, 40.66]]]}}]}
    points = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-73.95, 40.67]},
         "properties": {"id": f"#{n}", "category": "</script><script>alert('1') & 2</script>", "overdue": n % 2 == 0,
                        "url": f"/reports/{n}"}} for n in range(reports)]}
    as_text = json.dumps(points, sort_keys=True)  # as PostgreSQL gives it, but for the spaces it writes
    with app.test_request_context("/"):
        in_order(monkeypatch)
        maps.neighbourhood_map_parts(ELSEWHERE, as_text)  # the drawing kept, for another neighbourhood
        in_order(monkeypatch)
        placed = maps.neighbourhood_map_parts(outline, as_text)
        in_order(monkeypatch)
        afresh = maps.parts(maps.neighbourhood_map(outline, points))
    assert placed == afresh
    assert "</script>" not in placed.script and "<b>" not in placed.script  # the tooltip shows the name as text
    assert "Crown \\u0026lt;b\\u0026gt;Heights" in placed.script
    assert "stand-in" not in placed.script and "123.4" not in placed.script
    assert placed.script.count("L.CircleMarker(") == (1 if reports else 0)  # the layer of circles, if any


ELSEWHERE = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Elsewhere"},
     "geometry": {"type": "Polygon", "coordinates": [[[-74.0, 40.7], [-73.9, 40.7], [-73.9, 40.8], [-74.0, 40.7]]]}}]}


def test_a_neighbourhood_map_shows_its_open_reports_newest_first_and_which_are_overdue(app, session, make_report):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    now = datetime.now(UTC)
    late = make_report(neighbourhood=crown, created_at=now - timedelta(days=9), due_at=now - timedelta(days=2))
    newer = make_report("street-light-out", neighbourhood=crown, where=PARK_SLOPE, created_at=now - timedelta(days=1))
    unjudged = make_report(neighbourhood=crown, created_at=now - timedelta(days=5), due_at=None)
    make_report(neighbourhood=crown, status=Status.FIXED, closed_at=now)  # closed: not on the map
    make_report(neighbourhood=crown, hidden_reason=Reason.SPAM, hidden_at=now)  # taken down: never shown
    make_report(description="Elsewhere")  # in no neighbourhood
    with app.test_request_context("/"):
        open_here, drawn, points, listed = neighbourhoods.open_on_map(crown, "/reports/", now, listed=2)
        newest = neighbourhoods.open_on_map(crown, "/reports/", now, limit=2)

    def circle(report, overdue):
        where = latlon(from_db(report.location))
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [where.lon, where.lat]},
                "properties": {"id": f"#{report.public_id}", "category": report.category.name,
                               "overdue": overdue, "url": f"/reports/{report.public_id}"}}

    assert open_here == drawn == 3
    assert json.loads(points) == {"type": "FeatureCollection", "features": [
        circle(newer, False), circle(unjudged, False), circle(late, True)]}
    assert [(r.public_id, r.category, r.created_at, r.due_at) for r in listed] == [
        (newer.public_id, "Street light out", newer.created_at, newer.due_at),
        (unjudged.public_id, "Pothole", unjudged.created_at, None)]  # the newest two listed, from the same scan
    assert newest[:2] == (3, 2) and newest[3] == []  # all three counted, the newest two drawn, none listed
    assert [f["properties"]["id"] for f in json.loads(newest[2])["features"]] == [f"#{newer.public_id}",
                                                                                 f"#{unjudged.public_id}"]
    with app.test_request_context("/"):
        empty = neighbourhoods.open_on_map(session.scalar(select(Neighbourhood).where(Neighbourhood.code == "SI9561")),
                                           "/reports/", now)
    assert empty[:2] == (0, 0) and json.loads(empty[2]) == {"type": "FeatureCollection", "features": []}


def test_every_neighbourhood_page_places_one_drawing_of_its_map(client, session, make_report):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    slope = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0602"))
    here, there = make_report(neighbourhood=crown), make_report(neighbourhood=slope, where=PARK_SLOPE)
    first, second = (client.get(f"/neighbourhoods/{n.code}").get_data(as_text=True) for n in (crown, slope))
    assert map_div(first) == map_div(second)  # the second page placed the map the first drew
    circle = '"#{}"'.format  # a report's circle, as the map's data names it (the list has no quotes)
    assert circle(here.public_id) in first and circle(there.public_id) not in first
    assert circle(there.public_id) in second and circle(here.public_id) not in second
    assert f'"name": "{crown.name}"' in first and f'"name": "{slope.name}"' in second
    assert "stand-in" not in first + second


def test_the_public_map_is_drawn_once_a_filter_and_a_language(client, session, categories):
    pages = {args: client.get("/map" + args).get_data(as_text=True) for args in ("", "?category=pothole")}
    assert map_div(client.get("/map").get_data(as_text=True)) == map_div(pages[""])
    assert map_div(pages["?category=pothole"]) != map_div(pages[""])
    assert "category=pothole" in pages["?category=pothole"].split(map_div(pages["?category=pothole"]), 1)[1]
    spanish = client.get("/map", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert map_div(spanish) != map_div(pages[""]) and "Acercar" in spanish


def test_the_home_map_is_drawn_again_each_period_and_the_last_one_shown_while_it_is_drawn(app, monkeypatch):
    """Real threads, each request in its own app context on its own connection (the page reads no test rows)."""
    app.test_client_class = RequestContextClient
    now = [1_000_000.0]
    monkeypatch.setattr(caching, "clock", lambda: now[0])

    def home():
        response = app.test_client().get("/")
        assert response.status_code == 200
        return map_div(response.get_data(as_text=True))

    first = home()
    assert home() == first  # kept
    now[0] += neighbourhoods.OUTLINES_SECONDS  # the next period: drawn again, by one request
    drawing, finish = threading.Event(), threading.Event()
    draw = maps.city_map

    def held(outlines):
        drawing.set()
        assert finish.wait(20)
        return draw(outlines)

    monkeypatch.setattr(maps, "city_map", held)
    renewed = []
    drawer = threading.Thread(target=lambda: renewed.append(home()))
    drawer.start()
    assert drawing.wait(20)
    assert home() == first  # not kept waiting: the last map, a period old
    finish.set()
    drawer.join(20)
    assert renewed and renewed[0] != first and home() == renewed[0]
    now[0] += 3 * neighbourhoods.OUTLINES_SECONDS  # more than a period old: never shown, drawn again at once
    monkeypatch.setattr(maps, "city_map", draw)
    assert home() not in (first, renewed[0])


def test_a_warmed_worker_answers_its_first_pages_without_drawing_them(app, client, monkeypatch):
    """What gunicorn.conf.py does in each new worker: the home page, the map and the dashboard drawn
    before the first request, so the first visitors are not kept waiting behind the drawing."""
    monkeypatch.setattr(caching, "clock", lambda: 1_000_000.0)  # one period of the home page's map
    assert warmup.warm(app) == {"/": 200, "/map": 200, "/stats": 200}

    def no_drawing(*args, **kwargs):
        raise AssertionError("drawn again")

    for module, name in ((maps, "city_map"), (maps, "reports_map"), (stats_views, "_dashboard")):
        monkeypatch.setattr(module, name, no_drawing)
    for path in warmup.PAGES:
        assert client.get(path).status_code == 200, path


def test_a_page_that_cannot_be_drawn_at_start_is_left_to_the_first_request(app, client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the database is not there yet")

    monkeypatch.setattr(maps, "reports_map", broken)
    statuses = warmup.warm(app)  # (under TESTING the failure reaches warm(); in production it is a 500)
    assert statuses == {"/": 200, "/map": None, "/stats": 200}
    assert "warm-up: /map could not be drawn" in caplog.text
    monkeypatch.undo()
    assert client.get("/map").status_code == 200
