"""Reads of photos: staged ones by their tokens, a report's by its token."""

from sqlalchemy import select

from seeclick.extensions import db
from seeclick.photos.models import Photo


def staged(tokens: list[str]) -> dict[str, Photo]:
    """The staged (not yet attached) photos among these tokens, by token."""
    return {p.token: p for p in db.session.scalars(
        select(Photo).where(Photo.token.in_(tokens), Photo.report_id.is_(None)))}


def of_a_report(token: str) -> Photo | None:
    """A photo of a report (staged ones are private to the person uploading them)."""
    return db.session.scalar(select(Photo).where(Photo.token == token, Photo.report_id.is_not(None)))


def by_id(photo_id: int) -> Photo | None:
    return db.session.get(Photo, photo_id)


def of_report(report_id: int) -> list[Photo]:
    """Every photo of a report, the reporter's and the "after" ones, hidden or not (for moderators)."""
    return db.session.scalars(select(Photo).where(Photo.report_id == report_id).order_by(Photo.id)).all()
