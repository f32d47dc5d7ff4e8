"""`flask backup` and `flask restore`: the whole database with pg_dump and pg_restore (and photos kept in it)."""

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from seeclick.backup import archive


def _store() -> str:
    config = current_app.config
    if config["PHOTO_S3_BUCKET"]:
        return f"the directory {config['PHOTO_DIR']} and the bucket {config['PHOTO_S3_BUCKET']}"
    return f"the directory {config['PHOTO_DIR']}"


def _database_url(url: str | None) -> str:
    return url or current_app.config.get("DIRECT_DATABASE_URL") or current_app.config["SQLALCHEMY_DATABASE_URI"]


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path):
    """Write the database to PATH, by default instance/backups/seeclick-<time>.dump (photo stores: see the output)."""
    path = path or Path(current_app.instance_path) / "backups" / f"seeclick-{datetime.now(UTC):%Y%m%d-%H%M%S}.dump"
    try:
        done = archive.backup(_database_url(None), path)
    except archive.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup: {path} ({path.stat().st_size / 1e6:.1f} MB): {done.reports} reports, {done.photos} photos, "
               f"{done.tables} tables")
    if done.photos_in_stores:
        click.echo(f"backup: the bytes of {done.photos_in_stores} photos are in the photo store, not in this archive: "
                   f"{_store()}; back it up beside the archive (docs/production.md, \"Photos\").")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", "url", help="The database to restore into (a URL); by default the configured one.")
@click.option("--replace", is_flag=True, help="Drop what the database holds and take the archive's.")
@with_appcontext
def restore(path, url, replace):
    """Restore an archive made by `flask backup` into an empty database, in one transaction."""
    try:
        done = archive.restore(path, _database_url(url), replace=replace)
    except archive.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restore: {done.reports} reports, {done.photos} photos, {done.tables} tables from {path}")
