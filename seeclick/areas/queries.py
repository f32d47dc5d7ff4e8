"""Where the city is, for checking that an imported file lands on it."""

from flask import current_app
from sqlalchemy import func, select, union_all

from seeclick.departments.models import ServiceArea
from seeclick.extensions import db
from seeclick.neighbourhoods.models import Neighbourhood


def city_extent() -> tuple[float, float, float, float] | None:
    """The city's extent (min lon, min lat, max lon, max lat): SEECLICK_CITY_EXTENT, else that of the areas and
    neighbourhoods already imported; None for a city with neither (its first file is taken as it lands)."""
    if current_app.config.get("CITY_EXTENT"):
        return tuple(current_app.config["CITY_EXTENT"])
    geometries = union_all(select(ServiceArea.geom.label("geom")), select(Neighbourhood.geom.label("geom"))).subquery()
    box = func.ST_Extent(geometries.c.geom)
    found = db.session.execute(select(func.ST_XMin(box), func.ST_YMin(box), func.ST_XMax(box), func.ST_YMax(box))
                               .select_from(geometries)).one()
    return None if found[0] is None else tuple(float(v) for v in found)
