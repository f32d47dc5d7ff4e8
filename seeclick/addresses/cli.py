"""`flask addresses import FILE`: the city's address points from an OpenAddresses CSV or GeoJSON file."""

import time

import click
from flask.cli import with_appcontext

from seeclick.addresses import queries, readers, services
from seeclick.extensions import db


@click.group(help="The city's address points, to find a place by its address.")
def addresses():
    pass


@addresses.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--replace", is_flag=True, help="Remove the addresses held now first (ZIP codes and "
                                              "neighbourhoods stay).")
@with_appcontext
def import_addresses(path, replace):
    """Import address points from PATH: OpenAddresses CSV or GeoJSON (a collection or a feature a line), gzipped."""
    started = time.perf_counter()
    try:
        rows = readers.read(path)
    except readers.AddressFileError as error:
        raise click.ClickException(f"{error}\nNothing was imported.") from None
    try:
        held = services.import_addresses(rows, replace=replace)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    click.echo(f"imported {len(rows):,} addresses in {time.perf_counter() - started:.1f}s; {held:,} places held")


@addresses.command("find")
@click.argument("query")
@with_appcontext
def find(query):
    """Show what the address search finds for QUERY."""
    for found in queries.search(query, typing=False):
        click.echo(f"{found.label}\t{found.where.lat:.6f},{found.where.lon:.6f}")
