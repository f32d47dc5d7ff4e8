"""Photos: stage an upload, attach staged photos to a report, purge the ones never sent. Flush, never commit."""

from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from seeclick.extensions import db
from seeclick.photos import queries, storage
from seeclick.photos.models import Photo
from seeclick.photos.processing import PhotoError, ProcessedPhoto, process

STAGED_FOR = timedelta(days=1)


def stage(data: bytes, filename: str = "") -> tuple[Photo, ProcessedPhoto]:
    """Check and re-encode an upload and keep it, unattached, until its report is sent.

    The bytes are written to the store now, before the row commits: if the transaction is rolled
    back they are an object no row names, which storage.sweep() removes.
    """
    processed = process(data, filename)
    store, key = storage.save(processed.image, processed.thumbnail)
    in_row = store == storage.DATABASE
    photo = Photo(store=store, key=key, image=processed.image if in_row else None,
                  thumbnail=processed.thumbnail if in_row else None, width=processed.width,
                  height=processed.height, sha256=processed.sha256)
    db.session.add(photo)
    db.session.flush()
    return photo, processed


def staged(tokens: list[str], skip_expired: bool = False) -> list[Photo]:
    """The staged photos with these tokens, in the order given.

    A token that is unknown or already used is refused (PhotoError), or, with skip_expired (to show
    the form again), left out.
    """
    tokens = list(dict.fromkeys(t for t in tokens if t))
    if not tokens:
        return []
    found = queries.staged(tokens)
    if not skip_expired and any(t not in found for t in tokens):
        raise PhotoError(_l("A photo you added has expired; please add it again."))
    return [found[t] for t in tokens if t in found]


def attach(photos: list[Photo], report, update=None) -> None:
    for photo in photos:
        photo.report_id = report.id
        photo.update_id = update.id if update is not None else None


def purge_staged(now: datetime | None = None) -> list[tuple[str, str | None]]:
    """Delete photos staged for a report that was never sent, a day on; the (store, key) of each.

    Their objects are for storage.discard() once this is committed (before, a rollback would leave
    rows whose bytes are gone).
    """
    now = now or datetime.now(UTC)
    result = db.session.execute(delete(Photo).where(Photo.report_id.is_(None), Photo.created_at < now - STAGED_FOR)
                                .returning(Photo.store, Photo.key))
    return [tuple(row) for row in result]
