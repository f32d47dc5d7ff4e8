"""Routing on the real NYC polygons: (category, point) -> department."""

import random

import pytest
from shapely.geometry import box
from sqlalchemy import text

from seeclick.areas.readers import Feature
from seeclick.areas.services import add_service_areas
from seeclick.demo.city import precinct_department_code, sanitation_department_code
from seeclick.departments.models import Department
from seeclick.geo import LatLon, as_multipolygon
from seeclick.routing import (
    Candidate,
    NotServedHere,
    OutsideServiceArea,
    Reason,
    Route,
    UnknownCategory,
    decide,
    route,
)
from seeclick.routing.queries import ROUTE_TABLE
from tests.conftest import taxlots

BROOKLYN_CROWN_HEIGHTS = LatLon(40.6782, -73.9442)
UPPER_BAY = LatLon(40.665, -74.045)
ATLANTIC = LatLon(40.45, -73.80)
CENTRAL_PARK = LatLon(40.7829, -73.9654)


def code_of(session, route_):
    return session.get(Department, route_.department_id).code


# --- the pure rule ------------------------------------------------------------------------

def test_decide_picks_the_smallest_area_that_handles_the_category():
    candidates = [Candidate(1, 500.0, True), Candidate(2, 50.0, True), Candidate(3, 5.0, False)]
    assert decide(candidates, fallback_department_id=9).department_id == 2


def test_decide_breaks_ties_by_department_so_that_routing_is_stable():
    assert decide([Candidate(7, 10.0, True), Candidate(4, 10.0, True)], None).department_id == 4


def test_decide_falls_back_when_no_area_here_handles_the_category():
    assert decide([Candidate(1, 5.0, False)], 9) == Route(9, Reason.FALLBACK)


def test_decide_refuses_a_point_outside_every_area():
    with pytest.raises(OutsideServiceArea, match="outside the service area"):
        decide([], fallback_department_id=9)


def test_decide_without_fallback_says_the_category_is_not_handled_here():
    with pytest.raises(NotServedHere, match="Pothole"):
        decide([Candidate(1, 5.0, False)], None, "Pothole")


# --- on the real city ---------------------------------------------------------------------

def test_a_pothole_goes_to_the_boroughs_transportation_office(session, categories):
    result = route(categories["pothole"].id, BROOKLYN_CROWN_HEIGHTS)
    assert code_of(session, result) == "dot-bk"
    assert result.reason is Reason.LOCAL


@pytest.mark.parametrize("lot", random.Random(311).sample(taxlots(), 40), ids=lambda r: f"cd{r['communitydist']}")
def test_a_point_in_a_community_district_goes_to_that_sanitation_district(session, categories, lot):
    where = LatLon(float(lot["latitude"]), float(lot["longitude"]))
    district = int(float(lot["communitydist"]))
    result = route(categories["missed-collection"].id, where)
    if district % 100 > 18:  # joint interest areas (parks, airports) belong to no sanitation district
        assert (code_of(session, result), result.reason) == ("dsny", Reason.FALLBACK)
    else:
        assert code_of(session, result) == sanitation_department_code(district)


def test_precinct_routing_agrees_with_the_tax_lot_records(session, categories):
    """The precinct file is in EPSG:2263: this checks the reprojection end to end."""
    lots = random.Random(7).sample(taxlots(), 300)
    wrong = []
    for lot in lots:
        result = route(categories["noise-residential"].id, LatLon(float(lot["latitude"]), float(lot["longitude"])))
        expected = precinct_department_code(int(float(lot["policeprct"])))
        if code_of(session, result) != expected:
            wrong.append((lot["latitude"], lot["longitude"], expected, code_of(session, result)))
    assert wrong == []


@pytest.mark.parametrize("where", [UPPER_BAY, ATLANTIC], ids=["upper bay", "atlantic"])
def test_a_point_in_the_water_is_outside_the_service_area(session, categories, where):
    with pytest.raises(OutsideServiceArea, match="outside the service area"):
        route(categories["pothole"].id, where)


def test_a_category_with_no_local_department_goes_to_its_city_wide_department(session, categories):
    result = route(categories["rodents"].id, BROOKLYN_CROWN_HEIGHTS)
    assert (code_of(session, result), result.reason) == ("dohmh", Reason.FALLBACK)


def test_a_place_no_local_office_covers_goes_to_the_city_wide_desk(session, categories):
    result = route(categories["missed-collection"].id, CENTRAL_PARK)
    assert (code_of(session, result), result.reason) == ("dsny", Reason.FALLBACK)


def test_the_most_specific_area_wins(session, categories):
    pothole = categories["pothole"]
    crew = Department(code="dot-bk-crown", name="DOT Crown Heights crew", agency="dot", categories=[pothole])
    session.add(crew)
    around = box(BROOKLYN_CROWN_HEIGHTS.lon - 0.005, BROOKLYN_CROWN_HEIGHTS.lat - 0.005,
                 BROOKLYN_CROWN_HEIGHTS.lon + 0.005, BROOKLYN_CROWN_HEIGHTS.lat + 0.005)
    add_service_areas([Feature(1, {}, as_multipolygon(around))], lambda f: crew, lambda f: "Crown Heights")
    assert route(pothole.id, BROOKLYN_CROWN_HEIGHTS).department_id == crew.id
    # A little way off, outside the crew's box, the borough office still takes it.
    assert code_of(session, route(pothole.id, LatLon(40.6500, -73.9500))) == "dot-bk"


def test_an_inactive_category_is_refused(session, categories):
    categories["pothole"].active = False  # not flushed: routing must see the session's own changes
    with pytest.raises(NotServedHere, match="no longer"):
        route(categories["pothole"].id, BROOKLYN_CROWN_HEIGHTS)


def test_an_unknown_category_is_refused(session):
    with pytest.raises(UnknownCategory):
        route(999_999, BROOKLYN_CROWN_HEIGHTS)


def test_the_set_based_form_routes_exactly_like_the_service(session, categories):
    """The generator's bulk SQL must make the same choice as route() for every category."""
    lots = random.Random(99).sample(taxlots(), 120) + [
        {"latitude": UPPER_BAY.lat, "longitude": UPPER_BAY.lon},
        {"latitude": CENTRAL_PARK.lat, "longitude": CENTRAL_PARK.lon},
    ]
    session.execute(text("CREATE TEMP TABLE probe (id int, geom geometry(Point, 4326)) ON COMMIT DROP"))
    for i, lot in enumerate(lots):
        session.execute(text("INSERT INTO probe VALUES (:i, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                        {"i": i, "x": float(lot["longitude"]), "y": float(lot["latitude"])})
    bulk = {(loc, cat): dept for loc, cat, dept in session.execute(text(ROUTE_TABLE.format(table="probe")))}
    for i, lot in enumerate(lots):
        where = LatLon(float(lot["latitude"]), float(lot["longitude"]))
        for category in categories.values():
            try:
                expected = route(category.id, where).department_id
            except (OutsideServiceArea, NotServedHere):
                expected = None
            assert bulk.get((i, category.id)) == expected, (lot, category.code)
