"""The public map: vector tiles whose counts match the reports, under every filter and after changes."""

import re
from datetime import UTC, date, datetime, timedelta

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from seeclick.geo import LatLon, to_db
from seeclick.moderation import services as moderation
from seeclick.moderation.models import Reason
from seeclick.publicmap import queries, tiles
from seeclick.reports import services
from seeclick.reports.models import Status
from tests.conftest import CROWN_HEIGHTS

PARK_SLOPE = LatLon(40.6710, -73.9814)  # Brooklyn too, a few kilometres west of Crown Heights
MIDTOWN = LatLon(40.7549, -73.9840)  # Manhattan: other departments


def tile_at(client, where: LatLon, z: int, query: str = "") -> dict:
    """The decoded tile at zoom z holding `where`: {layer: [properties, ...]}."""
    x, y = tiles.cell_of(where.lon, where.lat, z)
    response = client.get(f"/map/tiles/{z}/{x}/{y}.pbf{query}")
    assert response.status_code == 200, response.data
    assert response.content_type == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.data)
    return {name: [f["properties"] for f in layer["features"]] for name, layer in decoded.items()}


def counted(client, where, z, query=""):
    """(reports, open) summed over a zoomed-out tile's cells."""
    cells = tile_at(client, where, z, query).get("cells", [])
    return sum(c["n"] for c in cells), sum(c["open"] for c in cells)


@pytest.fixture
def city(make_report, session):
    """Seven reports: five in Brooklyn (two closed, one of them in May 2026), two in Midtown."""
    may = datetime(2026, 5, 12, 15, tzinfo=UTC)
    made = {
        "pothole_open": make_report("pothole", CROWN_HEIGHTS),
        "pothole_fixed": make_report("pothole", PARK_SLOPE, status=Status.FIXED, created_at=may,
                                     closed_at=may + timedelta(days=2)),
        "light_open": make_report("street-light-out", CROWN_HEIGHTS),
        "light_old_fixed": make_report("street-light-out", PARK_SLOPE, status=Status.FIXED,
                                       created_at=may - timedelta(days=40), closed_at=may),
        "pothole_ps": make_report("pothole", PARK_SLOPE),
        "midtown_1": make_report("pothole", MIDTOWN, reporter_email="private@example.org",
                                 reporter_phone="212-555-0199"),
        "midtown_2": make_report("street-light-out", MIDTOWN),
    }
    queries.fold()
    return made


def test_every_zoom_has_a_plan_that_never_sends_every_report():
    for z in range(0, tiles.MAX_ZOOM + 1):
        plan = tiles.plan(z)
        if z >= tiles.POINTS_FROM_ZOOM:
            assert plan.kind == "points"
        else:
            assert plan.kind == "cells"  # at most 16 x 16 cells a tile, but for the whole world
            assert plan.level - z <= 4 or plan.level == tiles.ROLLUP_LEVELS[0]
            assert plan.source == ("rollup" if plan.level in tiles.ROLLUP_LEVELS else "reports")
    assert tiles.plan(10).source == "rollup" and tiles.plan(14) == tiles.Plan("cells", 17, "rollup")
    assert tiles.plan(15).source == "reports"


def test_cells_nest_and_bounds_round_trip():
    x, y = tiles.cell_of(CROWN_HEIGHTS.lon, CROWN_HEIGHTS.lat, 16)
    assert tiles.cell_of(CROWN_HEIGHTS.lon, CROWN_HEIGHTS.lat, 12) == (x >> 4, y >> 4)
    west, south, east, north = tiles.bounds(16, x, y)
    assert west <= CROWN_HEIGHTS.lon < east and south <= CROWN_HEIGHTS.lat < north
    assert tiles.cell_range(12, x >> 4, y >> 4, 16) == ((x >> 4) << 4, ((x >> 4) << 4) + 15,
                                                         (y >> 4) << 4, ((y >> 4) << 4) + 15)


FILTERS = {  # query string: which reports it keeps, said again independently of the SQL
    "": lambda r: r.closed_at is None,  # open by default: what is broken now
    "?status=all": lambda r: True,
    "?status=closed": lambda r: r.closed_at is not None,
    "?status=all&category=pothole": lambda r: r.category.code == "pothole",
    "?status=all&from=2026-05&to=2026-05": lambda r: (r.created_at.year, r.created_at.month) == (2026, 5),
    "?status=all&from=2026-04&to=2026-05": lambda r: (2026, 4) <= (r.created_at.year, r.created_at.month) <= (2026, 5),
    "?department=dot-bk": lambda r: r.closed_at is None and r.department.code == "dot-bk",
    "?status=all&department=dot-bk&category=pothole": lambda r: r.department.code == "dot-bk"
    and r.category.code == "pothole",
}


def expected(city, where, z, keep):
    """(reports, open) of the city's reports in the tile at zoom z holding `where` that `keep` keeps."""
    tile = tiles.cell_of(where.lon, where.lat, z)
    kept = [r for r in city.values() if keep(r) and tiles.cell_of(*lonlat(r), z) == tile]
    return len(kept), sum(r.closed_at is None for r in kept)


def lonlat(report):
    from seeclick.geo import from_db, latlon

    place = latlon(from_db(report.location))
    return place.lon, place.lat


@pytest.mark.parametrize("z", [9, 10, 11, 12, 13, 14, 15, 16])
def test_zoomed_out_tiles_count_exactly_the_reports_under_each_filter(client, session, city, z):
    for where in (CROWN_HEIGHTS, PARK_SLOPE, MIDTOWN):
        for query, keep in FILTERS.items():
            assert counted(client, where, z, query) == expected(city, where, z, keep), (where, query)
    assert counted(client, PARK_SLOPE, 16, "?status=all") == (3, 1)  # a street apart from the others


def test_a_city_wide_tile_holds_cells_not_reports(client, city):
    layers = tile_at(client, CROWN_HEIGHTS, 9, "?status=all")
    assert set(layers) == {"cells"}
    assert sum(c["n"] for c in layers["cells"]) == 7  # one tile at zoom 9 covers the whole city


def test_street_level_tiles_carry_each_report_and_nothing_private(client, city):
    x, y = tiles.cell_of(MIDTOWN.lon, MIDTOWN.lat, 18)
    raw = client.get(f"/map/tiles/18/{x}/{y}.pbf?status=all").data
    assert b"private@example.org" not in raw and b"212-555-0199" not in raw
    reports = tile_at(client, MIDTOWN, 18, "?status=all")["reports"]
    assert {r["id"] for r in reports} == {city["midtown_1"].public_id, city["midtown_2"].public_id}
    first = next(r for r in reports if r["id"] == city["midtown_1"].public_id)
    assert first["status"] == "new" and first["open"] is True and first["category"]
    assert set(first) == {"id", "status", "open", "category", "created"}


def test_changes_reach_the_zoomed_out_counts_when_folded(client, session, city, departments, login_as):
    staff = login_as("admin")
    potholes = lambda r: r.category.code == "pothole"  # noqa: E731
    before = expected(city, CROWN_HEIGHTS, 10, potholes)
    services.close(city["pothole_open"], staff, Status.FIXED, "Filled the hole.")
    session.flush()
    # Street level reads the reports themselves: at once. Zoomed out, the counts wait for the fold.
    assert [r["open"] for r in tile_at(client, CROWN_HEIGHTS, 17, "?status=all&category=pothole")["reports"]] == [
        False]
    assert counted(client, CROWN_HEIGHTS, 10, "?status=all&category=pothole") == before
    queries.fold()
    after = expected(city, CROWN_HEIGHTS, 10, potholes)
    assert after == (before[0], before[1] - 1)
    assert counted(client, CROWN_HEIGHTS, 10, "?status=all&category=pothole") == after

    queens = departments["dot-qn"]  # wrong borough, but a department that can act on it
    assert city["light_open"].department.code == "dot-bk"
    services.reassign(city["light_open"], staff, queens, "Testing a reassignment.")
    session.flush()
    queries.fold()
    assert counted(client, CROWN_HEIGHTS, 13, "?department=dot-qn") == (1, 1)
    for z in (10, 13):
        dot = expected(city, CROWN_HEIGHTS, z, lambda r: r.closed_at is None and r.department.code == "dot-bk")
        assert counted(client, CROWN_HEIGHTS, z, "?department=dot-bk") == dot


def test_folding_changes_gives_the_same_counts_as_counting_again(session, city, login_as):
    staff = login_as("admin")
    services.acknowledge(city["midtown_2"], staff)
    services.close(city["midtown_2"], staff, Status.NOT_FIXABLE, "No light there.")
    services.reopen(city["pothole_fixed"], staff, "It came back.")
    session.flush()
    queries.fold()
    snapshot = text("SELECT level, category_id, department_id, x, y, month, is_open, n FROM map_cell "
                    "WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7")
    folded, totals = session.execute(snapshot).all(), session.execute(TOTALS).all()
    assert totals == session.execute(MONTHS_ADDED_UP).all()  # map_total: map_cell over all months
    queries.rebuild()
    assert session.execute(snapshot).all() == folded and session.execute(TOTALS).all() == totals
    assert session.scalar(text("SELECT count(*) FROM map_delta")) == 0


TOTALS = text("SELECT level, category_id, department_id, x, y, is_open, n FROM map_total WHERE n <> 0 "
              "ORDER BY 1, 2, 3, 4, 5, 6")
MONTHS_ADDED_UP = text("SELECT level, category_id, department_id, x, y, is_open, sum(n) FROM map_cell "
                       "GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6")


def test_a_map_without_months_reads_the_counts_over_all_months_and_with_months_those_by_month(client, city):
    """Both answer the same reports: the city's tile and the map's count with every month chosen."""
    every_month = "?status=all&from=2000-01&to=2099-12"
    assert counted(client, CROWN_HEIGHTS, 10, "?status=all") == counted(client, CROWN_HEIGHTS, 10, every_month)
    assert queries.MapFilter(status="all").counts == "map_total"
    assert queries.MapFilter(status="all", since=date(2026, 5, 1)).counts == "map_cell"
    pages = [client.get("/map" + query).get_data(as_text=True) for query in ("?status=all", every_month)]
    assert "7 reports match" in pages[0] and "7 reports match" in pages[1]


def cells_of(mvt: bytes) -> list:
    """A tile's cells as (place in the tile, reports, open), in order."""
    layer = mapbox_vector_tile.decode(mvt).get("cells", {"features": []})
    return sorted((tuple(f["geometry"]["coordinates"]), f["properties"]["n"], f["properties"]["open"])
                  for f in layer["features"])


def test_neighbourhood_tiles_sum_the_same_cells_as_counting_their_reports(
        client, session, city, make_report, categories, login_as):
    """Zoom 14 sums stored level-17 cells: once folded, each cell holds what its reports say, after changes."""
    staff = login_as("admin")
    near = LatLon(CROWN_HEIGHTS.lat + 0.002, CROWN_HEIGHTS.lon + 0.004)  # another cell of the same tile
    added = [make_report("pothole", near), make_report("street-light-out", near), make_report("pothole", near)]
    city["pothole_ps"].location = to_db(near.to_point())  # moved from Park Slope to Crown Heights
    services.close(city["light_open"], staff, Status.FIXED, "New bulb.")
    services.close(added[1], staff, Status.FIXED, "New bulb.")
    moderation.hide_report(added[2], staff, Reason.SPAM)  # off the public map's points, still in the counts
    session.flush()
    queries.fold()

    everything = {**city, **{f"added_{i}": r for i, r in enumerate(added)}}
    for report in everything.values():
        session.refresh(report)
    filters = {"": queries.MapFilter(), "?status=all": queries.MapFilter(status="all"),
               "?status=closed": queries.MapFilter(status="closed"),
               "?status=all&category=pothole": queries.MapFilter(category_id=categories["pothole"].id, status="all")}
    for x, y in {tiles.cell_of(*lonlat(r), 14) for r in everything.values()}:
        for query, f in filters.items():
            response = client.get(f"/map/tiles/14/{x}/{y}.pbf{query}")
            sql, params = queries.cells_from_reports(14, x, y, 17, f)
            from_reports = bytes(session.execute(text(sql), params).scalar() or b"")
            assert cells_of(response.data) == cells_of(from_reports), (x, y, query)
            kept = [r for r in everything.values() if tiles.cell_of(*lonlat(r), 14) == (x, y)
                    and FILTERS[query](r)]
            assert sum(c[1] for c in cells_of(response.data)) == len(kept), (x, y, query)
    crown = tiles.cell_of(CROWN_HEIGHTS.lon, CROWN_HEIGHTS.lat, 14)
    cells = cells_of(client.get(f"/map/tiles/14/{crown[0]}/{crown[1]}.pbf?status=all").data)
    assert sorted(c[1:] for c in cells) == [(2, 1), (4, 3)]  # the moved and the hidden report counted near


def test_bad_filters_are_refused_on_tiles_and_explained_on_the_page(client, city):
    assert client.get("/map/tiles/10/301/384.pbf?category=nope").status_code == 400
    assert b"no such kind" in client.get("/map/tiles/10/301/384.pbf?category=nope").data
    assert client.get("/map/tiles/10/301/384.pbf?from=May").status_code == 400
    assert client.get("/map/tiles/25/0/0.pbf").status_code == 404
    assert client.get("/map/tiles/3/9/0.pbf").status_code == 404
    page = client.get("/map?from=2026-13&status=whatever").get_data(as_text=True)
    assert "A month such as 2026-03." in page and 'aria-invalid="true"' in page
    assert "Some choices could not be used" in page


def test_the_map_page_keeps_the_choices_it_was_given_and_shows_only_those(client, city):
    page = client.get("/map?category=pothole&department=dot-bk&status=all&from=2026-05&to=2026-06").get_data(
        as_text=True)
    assert '<option value="pothole" selected>' in page and '<option value="dot-bk" selected>' in page
    assert '<option value="all" selected>Open and closed</option>' in page
    assert 'name="from" type="month" placeholder="2026-01" value="2026-05"' in page
    assert 'name="to" type="month" placeholder="2026-12" value="2026-06"' in page
    assert "<details class=\"map-filters\" open>" in page
    plain = client.get("/map").get_data(as_text=True)
    assert " selected>" in plain and plain.count(" selected>") == 1  # only "Open", the default status
    assert '<option value="open" selected>Open</option>' in plain and "<details class=\"map-filters\">" in plain


def test_the_map_filters_offer_every_kind_and_department_by_its_current_name(client, session, city, departments):
    before = client.get("/map?department=dot-bk").get_data(as_text=True)
    offered = re.findall(r'<option value="([^"]*)"', before[before.index('id="map-department"'):].split("</select>")[0])
    assert offered == [""] + [d.code for d in sorted(departments.values(), key=lambda d: d.name)]
    departments["dot-bk"].name = "DOT Brooklyn <Streets & Bridges>"
    session.flush()
    after = client.get("/map?department=dot-bk").get_data(as_text=True)  # the options kept before: not these
    assert '<option value="dot-bk" selected>DOT Brooklyn &lt;Streets &amp; Bridges&gt;</option>' in after
    assert after.count(" selected>") == 2  # the department and the default status, nothing else
    assert '<option value="dot-bk">' in client.get("/map").get_data(as_text=True)  # and unchosen elsewhere


def test_the_map_page_is_light_and_loads_nothing_from_elsewhere(client, city):
    response = client.get("/map?status=all")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and len(response.data) < 300_000
    assert "7 reports match," in page and "5 of them open." in page
    assert "/static/vendor/leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js" in page
    assert "unpkg.com" not in page and "cdn." not in page
    assert "/map/tiles/{z}/{x}/{y}.pbf?status=all" in page
    assert "private@example.org" not in page



def test_a_reports_map_key_lies_in_the_key_range_of_every_tile_holding_it(session, city):
    for report in city.values():
        session.refresh(report)
        lon, lat = lonlat(report)
        for z in range(0, tiles.KEY_LEVEL + 1):
            low, high = tiles.key_range(z, *tiles.cell_of(lon, lat, z))
            assert low <= report.map_key < high, (report, z)
        x, y = tiles.cell_of(lon, lat, tiles.KEY_LEVEL)
        assert session.execute(text("SELECT map_bits_compact(:k), map_bits_compact(:k >> 1)"),
                               {"k": report.map_key}).one() == (x, y)
