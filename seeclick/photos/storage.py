"""Where a photo's bytes are kept: a directory (`local`, the default), an S3-compatible bucket (`s3`), or, as
before, the photo's own row (`database`, kept readable so an installation moves its photos when it chooses).

A photo row names its store and key (photo.store, photo.key); the objects are `<key>.jpg` and
`<key>.thumb.jpg`. A key is random and given once, so an object name never holds other bytes than
the ones first written under it (a moved photo keeps its key: the same bytes, elsewhere). Bytes are
written before the row commits: a transaction rolled back leaves an object no row names, which
sweep() removes a day on; nothing is served without its row, so a half-made photo is never seen.

Settings (config.py): PHOTO_STORE, PHOTO_DIR, PHOTO_S3_BUCKET, PHOTO_S3_ENDPOINT_URL, PHOTO_S3_REGION,
PHOTO_SIGNED_URLS, PHOTO_SIGNED_URL_SECONDS (docs/production.md).
"""

import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from seeclick.extensions import db

DATABASE, LOCAL, S3 = "database", "local", "s3"
STORES = (DATABASE, LOCAL, S3)
CHUNK = 256 * 1024
ORPHANED_AFTER = timedelta(days=1)  # far longer than any transaction that wrote an object lasts


class StoreError(RuntimeError):
    """A store that is not configured or cannot be reached, in words for the operator."""


class Missing(LookupError):
    """The object a photo row names is not in its store."""


@dataclass
class Blob:
    """An object opened for reading: its size, its bytes in chunks, and what to call when done."""

    size: int
    chunks: Iterable[bytes]
    close: Callable[[], None] = field(default=lambda: None)


def _chunks(f) -> Iterator[bytes]:
    """The bytes of an open file or stream, closed once read to the end or abandoned (a client gone)."""
    try:
        while chunk := f.read(CHUNK):
            yield chunk
    finally:
        f.close()


def new_key() -> str:
    return secrets.token_urlsafe(18)


def object_name(key: str, thumbnail: bool = False) -> str:
    return f"{key}.thumb.jpg" if thumbnail else f"{key}.jpg"


def _ours(listed: str) -> bool:
    """An object of a photo, or a temporary file a crash left while writing one (anything else is left alone)."""
    name = listed.rsplit("/", 1)[-1]
    return key_of(listed) is not None or (name.startswith(".") and name.endswith(".partial"))


def key_of(listed: str) -> str | None:
    """The key a listed object belongs to (None for a file no photo would have, such as a temporary one)."""
    name = listed.rsplit("/", 1)[-1]
    if name.startswith("."):
        return None
    for suffix in (".thumb.jpg", ".jpg"):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return None


class LocalStore:
    """Files in a directory (instance/photos by default; never under static/, which is served to anyone).

    Written to a temporary file beside the final one, synced, then renamed: a reader sees the whole file or none.
    """

    name = LOCAL

    def __init__(self, directory: str):
        self.root = Path(directory)

    def _path(self, name: str) -> Path:
        return self.root / name[:2] / name

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".partial")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(partial, 0o640)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def open(self, name: str) -> Blob:
        try:
            f = open(self._path(name), "rb")
        except FileNotFoundError:
            raise Missing(name) from None
        return Blob(os.fstat(f.fileno()).st_size, _chunks(f), f.close)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def listing(self) -> Iterator[tuple[str, datetime]]:
        """Every file (objects, and temporary files a crash left) by its path here, with the time it was written."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir():
                for path in folder.iterdir():
                    yield f"{folder.name}/{path.name}", datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def delete_listed(self, listed: str) -> None:
        (self.root / listed).unlink(missing_ok=True)

    def signed_url(self, name: str, seconds: int) -> str | None:
        return None


class S3Store:
    """Objects in a private bucket of any S3-compatible store, through boto3.

    Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in
    ~/.aws, an instance role); the bucket is never made public: the app serves its photos, or hands out
    a URL signed for a few minutes.
    """

    name = S3

    def __init__(self, bucket: str, endpoint_url: str = "", region: str = ""):
        import boto3
        from botocore.config import Config as BotoConfig

        if not bucket:
            raise StoreError("SEECLICK_PHOTO_S3_BUCKET is not set: name the bucket that holds the photos.")
        self.bucket = bucket
        addressing = {"addressing_style": "path"} if endpoint_url else {}
        # Each photo being streamed holds a connection from the pool until it is sent.
        config = BotoConfig(s3=addressing, retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                            read_timeout=30, max_pool_connections=32)
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config)
        from botocore.exceptions import BotoCoreError, ClientError

        self.errors = (BotoCoreError, ClientError)

    def _absent(self, error) -> bool:
        return getattr(error, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")

    def put(self, name: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType="image/jpeg")
        except self.errors as error:
            raise StoreError(f"could not write {name} to the bucket {self.bucket}: {error}") from error

    def open(self, name: str) -> Blob:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        except self.errors as error:
            if self._absent(error):
                raise Missing(name) from None
            raise StoreError(f"could not read {name} from the bucket {self.bucket}: {error}") from error
        return Blob(answer["ContentLength"], _chunks(answer["Body"]), answer["Body"].close)

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except self.errors as error:
            if self._absent(error):
                return False
            raise StoreError(f"could not look for {name} in the bucket {self.bucket}: {error}") from error
        return True

    def delete(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except self.errors as error:
            raise StoreError(f"could not delete {name} from the bucket {self.bucket}: {error}") from error

    delete_listed = delete

    def listing(self) -> Iterator[tuple[str, datetime]]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                yield item["Key"], item["LastModified"]

    def signed_url(self, name: str, seconds: int) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", ExpiresIn=seconds,
            Params={"Bucket": self.bucket, "Key": name, "ResponseContentType": "image/jpeg",
                    "ResponseCacheControl": f"private, max-age={seconds}"})


def store(name: str | None = None):
    """The store of that name (the configured one for new photos by default); None for the database.

    Made once per setting and kept on the application (a boto3 client is costly to make and safe to share).
    """
    config = current_app.config
    name = name or config["PHOTO_STORE"]
    if name not in STORES:
        raise StoreError(f"unknown photo store {name!r}: SEECLICK_PHOTO_STORE is one of {', '.join(STORES)}.")
    if name == DATABASE:
        return None
    settings = (config["PHOTO_DIR"],) if name == LOCAL else \
        (config["PHOTO_S3_BUCKET"], config["PHOTO_S3_ENDPOINT_URL"], config["PHOTO_S3_REGION"])
    made = current_app.extensions.setdefault("photo_stores", {})
    if (name, settings) not in made:
        made[(name, settings)] = LocalStore(*settings) if name == LOCAL else S3Store(*settings)
    return made[(name, settings)]


def configured() -> list:
    """Every store objects may be in: the local directory, and the bucket when one is set."""
    stores = [store(LOCAL)]
    if current_app.config["PHOTO_S3_BUCKET"]:
        stores.append(store(S3))
    return stores


def save(image: bytes, thumbnail: bytes) -> tuple[str, str | None]:
    """Write a new photo's bytes to the configured store: (store, key); key None when the row holds them."""
    target = store()
    if target is None:
        return DATABASE, None
    key = new_key()
    target.put(object_name(key, thumbnail=True), thumbnail)
    target.put(object_name(key), image)
    return target.name, key


def content(photo, thumbnail: bool = False) -> Blob:
    """A photo's bytes opened for reading, wherever they are (Missing when its store has lost them)."""
    if photo.store == DATABASE:
        data = photo.thumbnail if thumbnail else photo.image
        if data is None:
            raise Missing(f"photo {photo.id}")
        return Blob(len(data), [data])
    return store(photo.store).open(object_name(photo.key, thumbnail))


def read(photo, thumbnail: bool = False) -> bytes:
    blob = content(photo, thumbnail)
    try:
        return b"".join(blob.chunks)
    finally:
        blob.close()


def signed_url(photo, thumbnail: bool = False) -> str | None:
    """A short-lived URL of the store for a photo, when the store gives them and they are turned on."""
    config = current_app.config
    if not config["PHOTO_SIGNED_URLS"] or photo.store != S3:
        return None
    return store(S3).signed_url(object_name(photo.key, thumbnail), config["PHOTO_SIGNED_URL_SECONDS"])


def signed_origin() -> str:
    """Where signed URLs point (for the pages' Content-Security-Policy), or "" when none are given."""
    config = current_app.config
    if not config["PHOTO_SIGNED_URLS"] or not config["PHOTO_S3_BUCKET"]:
        return ""
    made = current_app.extensions.setdefault("photo_stores", {})
    if "origin" not in made:
        parts = urlsplit(store(S3).signed_url("origin.jpg", 60))
        made["origin"] = f"{parts.scheme}://{parts.netloc}"
    return made["origin"]


def discard(objects: Iterable[tuple[str, str | None]]) -> None:
    """Delete the objects of photos whose rows are gone (call after the commit that removed them)."""
    for name, key in objects:
        if name != DATABASE and key:
            target = store(name)
            target.delete(object_name(key, thumbnail=True))
            target.delete(object_name(key))


def sweep(now: datetime | None = None, batch: int = 1000) -> int:
    """Delete the objects no photo row names, written more than a day ago, in every store; how many.

    They are left by a transaction rolled back after its photo was written, a report deleted with its
    photos, or a move stopped between its commit and the removal of the old copy.
    """
    from seeclick.photos.models import Photo

    cutoff = (now or datetime.now(UTC)) - ORPHANED_AFTER
    removed = 0
    for target in configured():
        old = (name for name, written in target.listing() if written < cutoff and _ours(name))
        while chunk := [name for _, name in zip(range(batch), old, strict=False)]:
            keys = {key_of(name) for name in chunk} - {None}
            named = set(db.session.scalars(select(Photo.key).where(Photo.store == target.name,
                                                                   Photo.key.in_(keys)))) if keys else set()
            for name in chunk:
                if key_of(name) not in named:
                    target.delete_listed(name)
                    removed += 1
    return removed
