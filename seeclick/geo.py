"""The one boundary between Shapely, WKB/GeoJSON and (lat, lon).

Inside seeclick a location is a Shapely geometry in EPSG:4326 with x = longitude and
y = latitude (WKT and GeoJSON order). Leaflet and people speak (lat, lon); convert here only.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Point, Polygon

SRID = 4326


class OutsideWorld(ValueError):
    """A coordinate that cannot be a place on Earth."""


@dataclass(frozen=True)
class LatLon:
    lat: float
    lon: float

    def __post_init__(self):
        # Plain floats whatever came in (strings from forms, numpy from bulk code), and finite.
        try:
            lat, lon = float(self.lat), float(self.lon)
        except (TypeError, ValueError):
            raise OutsideWorld(_l("latitude %(lat)r, longitude %(lon)r are not numbers", lat=self.lat,
                                    lon=self.lon)) from None
        object.__setattr__(self, "lat", lat)
        object.__setattr__(self, "lon", lon)
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise OutsideWorld(_l("latitude %(lat)s, longitude %(lon)s is not a place on Earth", lat=self.lat,
                                  lon=self.lon))

    def to_point(self) -> Point:
        return Point(self.lon, self.lat)

    def to_leaflet(self) -> list[float]:
        return [self.lat, self.lon]


def latlon(point: Point) -> LatLon:
    return LatLon(lat=point.y, lon=point.x)


def to_db(geometry):
    """A Shapely geometry as a GeoAlchemy2 element with SRID 4326 (from_shape defaults to -1)."""
    return from_shape(geometry, srid=SRID)


def from_db(element):
    return to_shape(element)


def as_multipolygon(geometry) -> MultiPolygon:
    """Keep the polygonal parts of a geometry as one MultiPolygon."""
    if isinstance(geometry, MultiPolygon):
        return geometry
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    parts = []
    for part in getattr(geometry, "geoms", []):
        if isinstance(part, Polygon):
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    return MultiPolygon(parts)
