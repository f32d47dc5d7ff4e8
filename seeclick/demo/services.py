"""Load the demo city: departments, categories, service areas and neighbourhoods. Flush, never commit."""

import csv
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text

from seeclick.addresses import services as addresses
from seeclick.addresses.models import Kind
from seeclick.addresses.services import Place
from seeclick.areas import readers
from seeclick.areas.services import add_service_areas, upsert_neighbourhoods
from seeclick.categories.models import Category, CategoryQuestion, Datatype
from seeclick.demo.city import (
    AGENCIES,
    BOROUGH_AGENCY_NAMES,
    BOROUGHS,
    CATEGORIES,
    borough_department_code,
    ordinal,
    precinct_department_code,
    sanitation_department_code,
)
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.neighbourhoods.models import Neighbourhood

DATA = Path(__file__).resolve().parent / "data"


class CityAlreadyLoaded(RuntimeError):
    pass


@dataclass
class LoadResult:
    departments: int
    categories: int
    service_areas: int
    neighbourhoods: int


def is_loaded() -> bool:
    return db.session.scalar(select(Department.id).limit(1)) is not None


def clear_city() -> None:
    """Remove every report, user, category, department and neighbourhood (the whole city)."""
    db.session.execute(text(
        "TRUNCATE report_update, report, user_account, category_question, department_category, category, "
        "service_area_part, service_area, department, neighbourhood, address RESTART IDENTITY CASCADE"
    ))


def load_city(progress: Callable = lambda iterable, label: iterable, replace: bool = False) -> LoadResult:
    """Create the demo city from the shipped boundaries; refuses to load over an existing city."""
    if is_loaded():
        if not replace:
            raise CityAlreadyLoaded("A city is already loaded; use --replace to start again from the demo.")
        clear_city()

    departments = _create_departments()
    categories = _create_categories(departments)

    boroughs = readers.read(DATA / "boroughs.geojson.gz", name_property="name").features
    districts = readers.read(DATA / "community_districts.geojson.gz", name_property="name").features
    precincts = readers.read(DATA / "police_precincts.geojson.gz", name_property="precinct").features
    areas = 0
    for agency in BOROUGH_AGENCY_NAMES:
        areas += len(add_service_areas(
            progress(boroughs, f"{agency} borough areas"),
            lambda f, agency=agency: departments[borough_department_code(agency, f.properties["borough_code"])],
            lambda f: f.properties["name"],
        ))
    areas += len(add_service_areas(
        progress(districts, "sanitation districts"),
        lambda f: departments[sanitation_department_code(f.properties["boro_cd"])],
        lambda f: f.properties["name"],
    ))
    areas += len(add_service_areas(
        progress(precincts, "police precincts"),
        lambda f: departments[precinct_department_code(f.properties["precinct"])],
        lambda f: f"{ordinal(f.properties['precinct'])} Precinct",
    ))
    hoods = readers.read(DATA / "nta2020.geojson.gz", name_property="name").features
    neighbourhoods = upsert_neighbourhoods(progress(hoods, "neighbourhoods"), "nta2020", "name", "borough")
    _populations(neighbourhoods)
    db.session.execute(text("ANALYZE service_area_part; ANALYZE neighbourhood"))
    load_places()
    return LoadResult(len(departments), len(categories), areas, len(neighbourhoods))


def load_places() -> int:
    """What the address search finds in the demo city, which ships no address points (none could be found
    under an open licence in a package): its real ZIP code areas and its neighbourhoods, by name."""
    with gzip.open(DATA / "zip_codes.csv.gz", "rt", newline="") as f:
        places = [Place(Kind.POSTCODE, row["postcode"], row["borough"], float(row["longitude"]),
                        float(row["latitude"])) for row in csv.DictReader(f)]
    inside = func.ST_PointOnSurface(Neighbourhood.geom)
    places += [Place(Kind.NEIGHBOURHOOD, name, borough, lon, lat) for name, borough, lon, lat in db.session.execute(
        select(Neighbourhood.name, Neighbourhood.borough, func.ST_X(inside), func.ST_Y(inside))
        .order_by(Neighbourhood.code))]
    return addresses.import_places(places)


def _populations(neighbourhoods) -> None:
    """Residents of each neighbourhood (ACS 2019-2023 estimates, nta_population.csv), for reports per 1,000."""
    with open(DATA / "nta_population.csv", newline="") as f:
        found = {row["nta2020"]: row for row in csv.DictReader(f)}
    for neighbourhood in neighbourhoods:
        row = found.get(neighbourhood.code)
        if row is not None:
            neighbourhood.population = int(row["population"])
            neighbourhood.population_margin = int(row["margin"]) if row["margin"] else None


def _create_departments() -> dict[str, Department]:
    departments = {}

    def add(code, name, agency):
        departments[code] = Department(code=code, name=name, agency=agency)

    for agency, (name, _) in AGENCIES.items():
        add(agency, name, agency)
    for agency, pattern in BOROUGH_AGENCY_NAMES.items():
        for number, (_, borough) in BOROUGHS.items():
            add(borough_department_code(agency, number), pattern.format(borough=borough), agency)
    for feature in readers.read(DATA / "community_districts.geojson.gz").features:
        boro_cd = feature.properties["boro_cd"]
        borough = BOROUGHS[boro_cd // 100][1]
        add(sanitation_department_code(boro_cd), f"Sanitation {borough} {boro_cd % 100}", "dsny")
    for feature in readers.read(DATA / "police_precincts.geojson.gz").features:
        precinct = feature.properties["precinct"]
        add(precinct_department_code(precinct), f"NYPD {ordinal(precinct)} Precinct", "nypd")
    db.session.add_all(departments.values())
    db.session.flush()
    return departments


def _create_categories(departments: dict[str, Department]) -> list[Category]:
    categories = []
    for spec in CATEGORIES:
        local = [d for code, d in departments.items() if spec.local and d.agency == spec.agency and code != spec.agency]
        category = Category(
            code=spec.code, name=spec.name, description=spec.description, group=spec.group,
            keywords=list(spec.keywords), sla_hours=spec.sla_hours, active=True,
            fallback_department=departments[spec.agency], departments=local,
            questions=[
                CategoryQuestion(
                    code=q.code, prompt=q.prompt, datatype=Datatype(q.datatype), required=q.required,
                    position=i, values=[{"key": k, "name": n} for k, n in q.values], private=q.private,
                )
                for i, q in enumerate(spec.questions)
            ],
        )
        categories.append(category)
    db.session.add_all(categories)
    db.session.flush()
    return categories
