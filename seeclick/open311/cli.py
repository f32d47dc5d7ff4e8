"""`flask apikeys ...`: keys for Open311 clients that post service requests."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from seeclick.departments import queries as departments
from seeclick.extensions import db
from seeclick.open311 import importer, queries, services


@click.group(help="Open311 API keys.")
def apikeys():
    pass


@apikeys.command("create")
@click.argument("name")
@with_appcontext
def create(name):
    """Make a key for NAME (who will hold it); the key is printed once."""
    try:
        api_key, key = services.create_key(name)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"key {api_key.id} for {api_key.name}: {key}")
    click.echo("Keep it now: only its hash is stored.")


@apikeys.command("list")
@with_appcontext
def list_keys():
    for k in queries.keys():
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        click.echo(f"{k.id}\t{k.prefix}…\t{state}\t{k.name}")


@apikeys.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
def revoke(key_id):
    if services.revoke(key_id) is None:
        raise click.ClickException(f"There is no key {key_id}; `flask apikeys list` shows them.")
    db.session.commit()
    click.echo(f"key {key_id} revoked")


@click.group(name="open311", help="Open311 GeoReport v2.")
def open311():
    pass


@open311.command("import")
@click.argument("service_list", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--definitions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of service definitions, one <service_code>.json or .xml each.")
@click.option("--desk", "desk_code", required=True, help="Code of the department that takes them until "
              "handling departments are chosen at /admin/categories.")
@click.option("--sla-hours", default=72, show_default=True, type=click.IntRange(1, 8760))
@click.option("--replace", is_flag=True, help="Take the city's version of categories that already exist.")
@click.option("--private", "private_codes", default="", metavar="CODE,CODE",
              help="Attribute codes whose answers only staff see (a flat number, a phone); all others are public.")
@with_appcontext
def import_services(service_list, definitions, desk_code, sla_hours, replace, private_codes):
    """Import a city's Open311 service list (services.xml or .json) and definitions as categories."""
    desk = departments.by_code(desk_code)
    if desk is None:
        raise click.ClickException(f"There is no department {desk_code!r}; `flask departments list` shows them.")
    try:
        found = importer.read_services(service_list)
        read = {}
        for path in sorted(definitions.iterdir()) if definitions else []:
            if path.suffix in (".json", ".xml"):
                definition = importer.read_definition(path)
                read[definition["service_code"] or path.stem] = definition
        private = {code.strip() for code in private_codes.split(",") if code.strip()}
        imported = services.import_services(found, read, desk, sla_hours, replace, private=private)
    except (importer.ImportError_, services.ImportRefused) as error:
        db.session.rollback()
        raise click.ClickException(f"{error}. Nothing was imported.") from None
    db.session.commit()
    click.echo(f"{imported.made} categories made, {imported.remade} replaced, from {len(found)} services in "
               f"{service_list.name}")
    if imported.pending:
        click.echo(f"{len(imported.pending)} services say metadata=true but their definitions were not given, so "
                   f"they were imported without their questions, which are pending: {', '.join(imported.pending)}. "
                   f"Import again with --definitions DIR holding {imported.pending[0]}.xml (or .json) and the "
                   "others to ask them.", err=True)
