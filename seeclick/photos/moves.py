"""Moving photos between stores (database, local, s3), one photo at a time, and checking rows against stores.

Each photo: its bytes read where they are and checked against the row's sha256, written to the
new store and read back and checked again, the row switched in a transaction of its own, and only
after that commit the old copy deleted. Stopped anywhere, nothing is lost: a photo not yet switched
is read from where it was, and running the move again goes on with the ones left (a copy written
but never switched, or an old copy not yet deleted, is an object no row names: storage.sweep()).
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select, update

from seeclick.extensions import db
from seeclick.photos import storage
from seeclick.photos.models import Photo


@dataclass
class Outcome:
    photo_id: int
    moved: bool
    problem: str = ""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def left(to: str) -> int:
    return db.session.scalar(select(db.func.count()).select_from(Photo).where(Photo.store != to))


def move_one(photo_id: int, to: str) -> Outcome:
    """Move one photo to the store `to`; its own transaction, committed (or rolled back) here."""
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.store == to:
        db.session.rollback()
        return Outcome(photo_id, False)
    was, old_key = photo.store, photo.key
    try:
        image, thumbnail = storage.read(photo), storage.read(photo, thumbnail=True)
    except storage.Missing:
        db.session.rollback()
        return Outcome(photo_id, False, f"not in its store {was} (key {old_key}): left where it is")
    if _sha(image) != photo.sha256:
        db.session.rollback()
        return Outcome(photo_id, False, f"its bytes in {was} do not match its sha256: left where it is")
    target = storage.store(to)
    key = old_key or storage.new_key()
    if target is not None:
        target.put(storage.object_name(key, thumbnail=True), thumbnail)
        target.put(storage.object_name(key), image)
        copied = target.open(storage.object_name(key))
        copied_thumbnail = target.open(storage.object_name(key, thumbnail=True))
        try:
            same = (_sha(b"".join(copied.chunks)) == photo.sha256
                    and _sha(b"".join(copied_thumbnail.chunks)) == _sha(thumbnail))
        finally:
            copied.close()
            copied_thumbnail.close()
        if not same:
            db.session.rollback()
            return Outcome(photo_id, False, f"the copy read back from {to} differs: left where it is")
    values = {"store": to, "key": None, "image": image, "thumbnail": thumbnail} if target is None else \
        {"store": to, "key": key, "image": None, "thumbnail": None}
    switched = db.session.execute(update(Photo).where(Photo.id == photo_id, Photo.store == was)
                                  .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not switched:  # moved meanwhile by someone else: theirs stands, and the copy written here is theirs too
        return Outcome(photo_id, False)
    if was != storage.DATABASE:
        old = storage.store(was)
        old.delete(storage.object_name(old_key))
        old.delete(storage.object_name(old_key, thumbnail=True))
    return Outcome(photo_id, True)


def move(to: str, batch: int = 100) -> Iterator[list[Outcome]]:
    """Move every photo not yet in `to`, in batches (yielded as each is done), oldest first."""
    storage.store(to)  # refused now, not after the first photo, if that store is not configured
    after = 0
    while True:
        ids = db.session.scalars(select(Photo.id).where(Photo.store != to, Photo.id > after)
                                 .order_by(Photo.id).limit(batch)).all()
        db.session.rollback()
        if not ids:
            return
        yield [move_one(photo_id, to) for photo_id in ids]
        after = ids[-1]


def missing(batch: int = 500) -> Iterator[tuple[Photo, list[str]]]:
    """Each photo whose store lacks an object its row names, with the names missing.

    Rows in the database location always hold their bytes (a check constraint says so).
    """
    after = 0
    while True:
        photos = db.session.scalars(select(Photo).where(Photo.id > after, Photo.store != storage.DATABASE)
                                    .order_by(Photo.id).limit(batch)).all()
        if not photos:
            return
        for photo in photos:
            target = storage.store(photo.store)
            absent = [name for name in (storage.object_name(photo.key), storage.object_name(photo.key, True))
                      if not target.exists(name)]
            if absent:
                yield photo, absent
        after = photos[-1].id
        db.session.rollback()
