"""`flask photos move` and `flask photos check`: photos between the database, a directory and a bucket."""

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from seeclick.extensions import db
from seeclick.photos import moves, storage
from seeclick.photos.models import Photo


@click.group(help="Where photos are kept: move them between stores, check that every photo is there.")
def photos():
    pass


def _where() -> str:
    counts = db.session.execute(select(Photo.store, func.count()).group_by(Photo.store).order_by(Photo.store)).all()
    db.session.rollback()
    return ", ".join(f"{n} in {name}" for name, n in counts) or "no photos"


@photos.command("move")
@click.option("--to", "to", required=True, type=click.Choice(storage.STORES),
              help="The store to move every photo to.")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(min=1),
              help="Photos read per query (progress is printed after each batch).")
@with_appcontext
def move(to, batch):
    """Move every photo to another store, each checked by its sha256; run again to go on after a stop."""
    try:
        storage.store(to)
    except storage.StoreError as error:
        raise click.ClickException(str(error)) from None
    total = moves.left(to)
    db.session.rollback()
    click.echo(f"photos: {_where()}; {total} to move to {to}")
    moved = unmoved = done = 0
    try:
        for outcomes in moves.move(to, batch):
            for outcome in outcomes:
                done += 1
                moved += outcome.moved
                if outcome.problem:
                    unmoved += 1
                    click.echo(f"  photo {outcome.photo_id}: {outcome.problem}", err=True)
            click.echo(f"  {done}/{total} ({moved} moved)")
    except storage.StoreError as error:
        raise click.ClickException(f"stopped after {moved} moved: {error}. Run the command again to go on.") \
            from None
    click.echo(f"moved {moved} photos to {to}; {unmoved} could not be moved; now {_where()}")
    if unmoved:
        raise click.ClickException(f"{unmoved} photos were left where they are (above); `flask photos check` lists "
                                   "photos missing from their store.")


@photos.command("check")
@with_appcontext
def check():
    """List the photos whose store does not have their bytes (each is answered 404 until found)."""
    total = db.session.scalar(select(func.count()).select_from(Photo).where(Photo.store != storage.DATABASE))
    found = 0
    try:
        for photo, absent in moves.missing():
            found += 1
            click.echo(f"  photo {photo.id} of report id {photo.report_id or '(staged)'}: {photo.store} lacks "
                       f"{', '.join(absent)}")
    except storage.StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"checked {total} photos in stores ({_where()}): {found} missing")
    if found:
        raise click.ClickException(f"{found} photos are missing from their store.")
