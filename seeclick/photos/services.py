"""Photos: stage an upload, attach staged photos to a report. Flush, never commit."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from seeclick.extensions import db
from seeclick.models import Photo
from seeclick.photos.processing import PhotoError, ProcessedPhoto, process

STAGED_FOR = timedelta(days=1)


def stage(data: bytes, filename: str = "") -> tuple[Photo, ProcessedPhoto]:
    """Check and re-encode an upload and keep it, unattached, until its report is sent."""
    processed = process(data, filename)
    photo = Photo(image=processed.image, thumbnail=processed.thumbnail, width=processed.width,
                  height=processed.height, sha256=processed.sha256)
    db.session.add(photo)
    db.session.flush()
    return photo, processed


def staged(tokens: list[str]) -> list[Photo]:
    """The staged photos with these tokens, in the order given; unknown or used tokens are refused."""
    tokens = list(dict.fromkeys(t for t in tokens if t))
    if not tokens:
        return []
    found = {p.token: p for p in db.session.scalars(
        select(Photo).where(Photo.token.in_(tokens), Photo.report_id.is_(None)))}
    missing = [t for t in tokens if t not in found]
    if missing:
        raise PhotoError("A photo you added has expired; please add it again.")
    return [found[t] for t in tokens]


def staged_quietly(tokens: list[str]) -> list[Photo]:
    """The staged photos among these tokens, skipping any that expired (to show the form again)."""
    tokens = list(dict.fromkeys(t for t in tokens if t))
    if not tokens:
        return []
    found = {p.token: p for p in db.session.scalars(
        select(Photo).where(Photo.token.in_(tokens), Photo.report_id.is_(None)))}
    return [found[t] for t in tokens if t in found]


def attach(photos: list[Photo], report, update=None) -> None:
    for photo in photos:
        photo.report_id = report.id
        photo.update_id = update.id if update is not None else None


def by_token(token: str) -> Photo | None:
    """A photo of a report (staged ones are private to the person uploading them)."""
    return db.session.scalar(select(Photo).where(Photo.token == token, Photo.report_id.is_not(None)))


def purge_staged(now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    result = db.session.execute(delete(Photo).where(Photo.report_id.is_(None), Photo.created_at < now - STAGED_FOR))
    db.session.commit()
    return result.rowcount
