"""`flask apikeys ...`: keys for Open311 clients that post service requests."""

import click
from flask.cli import with_appcontext

from seeclick.extensions import db
from seeclick.open311 import services


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
    for k in services.keys():
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
