"""`flask areas import` and `flask neighbourhoods import`: boundaries from GeoJSON or Shapefile."""

import click
from flask.cli import with_appcontext

from seeclick.areas import queries, readers, services
from seeclick.extensions import db

FILE = click.Path(dir_okay=False, path_type=str)


def read_or_fail(path, crs, name_property, **properties):
    """Read the file, checked against where the city is and against the properties the options name."""
    try:
        area_file = readers.read(path, crs=crs, name_property=name_property, expected=queries.city_extent(),
                                 properties={f"--{option.replace('_', '-')}": name
                                             for option, name in properties.items()})
    except readers.AreaFileError as error:
        raise click.ClickException(str(error)) from None
    for feature in area_file.repaired:
        click.echo(f"repaired {feature.label(name_property)}: {feature.repaired}", err=True)
    click.echo(f"{path}: {len(area_file.features)} features in {area_file.crs.to_string()}, reprojected to EPSG:4326")
    return area_file


def in_one_transaction(work):
    """Run work(); commit if it succeeds, otherwise roll back so that nothing is left behind."""
    try:
        result = work()
        db.session.commit()
        return result
    except (ValueError, LookupError) as error:
        db.session.rollback()
        raise click.ClickException(f"{error}\nNothing was imported.") from None
    except BaseException:
        db.session.rollback()
        raise


@click.group(help="Departments' service areas.")
def areas():
    pass


@areas.command("import")
@click.argument("path", type=FILE)
@click.option("--department", "department_code", help="Code of the department every feature belongs to.")
@click.option("--department-property", help="Feature property naming the department of each feature.")
@click.option("--department-code", "template", default="{}", show_default=True,
              help="Template turning --department-property into a department code, e.g. 'dsny-{}'.")
@click.option("--name-property", help="Feature property with the area's name.")
@click.option("--crs", help="The file's coordinate reference system when it declares none, e.g. EPSG:2263.")
@click.option("--replace", is_flag=True, help="Remove the departments' existing areas first.")
@with_appcontext
def import_areas(path, department_code, department_property, template, name_property, crs, replace):
    """Import service areas from PATH (GeoJSON, .shp or zipped Shapefile), reprojected to EPSG:4326."""
    if bool(department_code) == bool(department_property):
        raise click.UsageError("give exactly one of --department or --department-property")
    area_file = read_or_fail(path, crs, name_property, department_property=department_property)

    def work():
        resolve = services.department_resolver(department_code, department_property, template)
        with click.progressbar(area_file.features, label="importing service areas") as features:
            return services.add_service_areas(
                features, resolve,
                name_for=lambda f: str(f.properties.get(name_property) or f.label()),
                replace=replace,
            )

    created = in_one_transaction(work)
    click.echo(f"imported {len(created)} service areas")


@click.group(help="The city's neighbourhoods.")
def neighbourhoods():
    pass


@neighbourhoods.command("import")
@click.argument("path", type=FILE)
@click.option("--code-property", required=True, help="Feature property with the neighbourhood's code.")
@click.option("--name-property", required=True, help="Feature property with its name.")
@click.option("--borough-property", help="Feature property with its borough or district.")
@click.option("--crs", help="The file's coordinate reference system when it declares none.")
@with_appcontext
def import_neighbourhoods(path, code_property, name_property, borough_property, crs):
    """Create or update neighbourhoods from PATH, matched by code."""
    area_file = read_or_fail(path, crs, name_property, code_property=code_property,
                             borough_property=borough_property)

    def work():
        with click.progressbar(area_file.features, label="importing neighbourhoods") as features:
            return services.upsert_neighbourhoods(features, code_property, name_property, borough_property)

    saved = in_one_transaction(work)
    click.echo(f"imported {len(saved)} neighbourhoods")
