"""The (lat, lon) boundary."""

import math

import pytest

from seeclick.geo import LatLon, OutsideWorld, latlon


def test_latlon_becomes_a_point_in_lon_lat_order():
    point = LatLon(40.7128, -74.0060).to_point()
    assert (point.x, point.y) == (-74.0060, 40.7128)
    assert latlon(point) == LatLon(40.7128, -74.0060)
    assert LatLon(40.7128, -74.0060).to_leaflet() == [40.7128, -74.0060]


def test_text_coordinates_are_read_as_numbers():
    assert LatLon("40.5", "-74.25") == LatLon(40.5, -74.25)


@pytest.mark.parametrize("lat, lon", [(91, 0), (0, -181), (math.nan, 0), ("north", 0), (None, 1)])
def test_impossible_coordinates_are_refused(lat, lon):
    with pytest.raises(OutsideWorld):
        LatLon(lat, lon)
