"""Store imported areas: departments' service areas and the city's neighbourhoods. Flush, never commit."""

from collections.abc import Callable, Iterable

from flask_babel import gettext as _
from sqlalchemy import delete, select

from seeclick.areas.readers import Feature
from seeclick.departments.models import Department, ServiceArea
from seeclick.extensions import db
from seeclick.geo import to_db
from seeclick.neighbourhoods.models import Neighbourhood


class UnknownDepartment(LookupError):
    pass


def department_resolver(code: str | None = None, property_name: str | None = None, template: str = "{}"):
    """Map a feature to a department: one fixed code, or a code built from a feature property."""
    departments = {d.code: d for d in db.session.scalars(select(Department))}

    def resolve(feature: Feature) -> Department:
        wanted = code if code else template.format(_plain(feature.properties.get(property_name)))
        try:
            return departments[wanted]
        except KeyError:
            raise UnknownDepartment(_("%(feature)s: no department with code %(code)r",
                                      feature=feature.label(property_name), code=wanted)) from None

    return resolve


def _plain(value):
    """Property values as people write them: 101.0 from a DBF is 101."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def add_service_areas(
    features: Iterable[Feature],
    department_for: Callable[[Feature], Department],
    name_for: Callable[[Feature], str],
    replace: bool = False,
) -> list[ServiceArea]:
    """Add each feature as a service area of its department; with replace, drop their old areas first."""
    pairs = [(feature, department_for(feature)) for feature in features]  # resolve all before writing
    if replace:
        ids = {department.id for _, department in pairs}
        db.session.execute(delete(ServiceArea).where(ServiceArea.department_id.in_(ids)))
    areas = [
        ServiceArea(department=department, name=name_for(feature)[:200], geom=to_db(feature.geometry))
        for feature, department in pairs
    ]
    db.session.add_all(areas)
    db.session.flush()
    return areas


def upsert_neighbourhoods(features: Iterable[Feature], code_property: str, name_property: str,
                          borough_property: str | None = None) -> list[Neighbourhood]:
    """Create or update neighbourhoods by code; a code given twice in one file is an error."""
    existing = {n.code: n for n in db.session.scalars(select(Neighbourhood))}
    seen, result = set(), []
    for feature in features:
        code = str(_plain(feature.properties.get(code_property)) or "").strip()
        if not code:
            raise ValueError(_("%(feature)s has no %(property)r property", feature=feature.label(),
                               property=code_property))
        if code in seen:
            raise ValueError(_("%(feature)s: neighbourhood code %(code)r appears twice", feature=feature.label(),
                               code=code))
        seen.add(code)
        hood = existing.get(code) or Neighbourhood(code=code)
        hood.name = str(feature.properties.get(name_property) or code)[:200]
        hood.borough = str(feature.properties.get(borough_property) or "").title() if borough_property else ""
        hood.geom = to_db(feature.geometry)
        db.session.add(hood)
        result.append(hood)
    db.session.flush()
    return result
