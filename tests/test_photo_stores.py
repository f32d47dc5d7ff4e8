"""Photos kept out of the database: in a directory (the default) or a real S3-compatible bucket (moto's server).

What a citizen, a moderator and an operator notice: the photo shown and served wherever it is kept,
never served once hidden, answered 304 when the browser's copy is current, a clear 404 when the store
lost it, moved between stores byte for byte, and no object left behind by a transaction rolled back.
"""

import hashlib
import io
import logging
import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests
from sqlalchemy import select

from seeclick import create_app, jobs
from seeclick.photos import services as photos
from seeclick.photos import storage, tasks
from seeclick.photos.models import Photo
from seeclick.reports.models import Report
from tests.conftest import csrf_token
from tests.s3 import REGION
from tests.test_citizen_reports import report_form
from tests.test_photos import phone_jpeg


def bucket_objects(app, bucket) -> dict[str, bytes]:
    client = boto3.client("s3", endpoint_url=app.config["PHOTO_S3_ENDPOINT_URL"], region_name=REGION)
    names = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {name: client.get_object(Bucket=bucket, Key=name)["Body"].read() for name in names}


def local_files(directory) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.rglob("*") if path.is_file()}


def send_with_photo(client, categories, key="store-1", size=(640, 480)):
    """A citizen's report with one photo, through the form as a browser sends it: (report, photo row)."""
    staged = client.post("/reports/photos", data={"photo": (io.BytesIO(phone_jpeg(size=size)), "IMG_0001.jpg")},
                         headers={"X-CSRFToken": csrf_token(client, "/reports/new")},
                         content_type="multipart/form-data")
    assert staged.status_code == 201
    sent = client.post("/reports/new", data=report_form(client, categories, key=key)
                       | {"photo_token": staged.get_json()["token"]})
    assert sent.status_code == 303
    from seeclick.extensions import db

    report = db.session.scalar(select(Report).where(Report.submission_key == key))
    [photo] = db.session.scalars(select(Photo).where(Photo.report_id == report.id)).all()
    return report, photo


def test_a_citizens_photo_goes_to_the_bucket_and_is_shown_and_served(app, client, session, categories, bucket,
                                                                     photo_dir):
    report, photo = send_with_photo(client, categories)

    assert photo.store == "s3" and photo.key and photo.image is None and photo.thumbnail is None
    kept = bucket_objects(app, bucket)
    assert set(kept) == {f"{photo.key}.jpg", f"{photo.key}.thumb.jpg"} and local_files(photo_dir) == {}
    page = client.get(f"/reports/{report.public_id}").get_data(as_text=True)
    assert f"/photos/{photo.token}/thumb.jpg" in page
    served = client.get(f"/photos/{photo.token}.jpg")
    assert served.status_code == 200 and served.content_type == "image/jpeg"
    assert served.data == kept[f"{photo.key}.jpg"] and hashlib.sha256(served.data).hexdigest() == photo.sha256
    assert served.headers["Cache-Control"] == "public, max-age=3600"
    assert client.get(f"/photos/{photo.token}/thumb.jpg").data == kept[f"{photo.key}.thumb.jpg"]


def test_the_default_store_is_a_directory_written_whole(client, session, categories, photo_dir):
    _, photo = send_with_photo(client, categories)

    assert photo.store == "local" and photo.image is None
    files = local_files(photo_dir)
    assert set(files) == {f"{photo.key}.jpg", f"{photo.key}.thumb.jpg"}  # no temporary file left beside them
    assert client.get(f"/photos/{photo.token}.jpg").data == files[f"{photo.key}.jpg"]


def test_a_browser_copy_still_current_is_answered_304(client, session, categories):
    _, photo = send_with_photo(client, categories)
    first = client.get(f"/photos/{photo.token}.jpg")
    assert first.headers["ETag"] == f'"{photo.sha256}"'  # strong: the same bytes, byte for byte

    again = client.get(f"/photos/{photo.token}.jpg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"] and again.headers["Cache-Control"] == "public, max-age=3600"
    thumb = client.get(f"/photos/{photo.token}/thumb.jpg", headers={"If-None-Match": first.headers["ETag"]})
    assert thumb.status_code == 200 and thumb.headers["ETag"] != first.headers["ETag"]  # another picture
    stale = client.get(f"/photos/{photo.token}.jpg", headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_a_hidden_photo_is_not_served_to_the_public_by_the_app_nor_by_a_new_signed_url(
        app, client, session, categories, bucket, login_as):
    app.config["PHOTO_SIGNED_URLS"] = True
    report, photo = send_with_photo(client, categories)
    public = app.test_client()

    redirected = public.get(f"/photos/{photo.token}.jpg")
    assert redirected.status_code == 302
    signed = redirected.headers["Location"]
    assert signed.startswith(app.config["PHOTO_S3_ENDPOINT_URL"]) and "Signature" in signed
    fetched = requests.get(signed, timeout=10)
    assert fetched.status_code == 200 and hashlib.sha256(fetched.content).hexdigest() == photo.sha256
    unsigned = requests.get(signed.split("?")[0], timeout=10)
    assert unsigned.status_code == 403  # the bucket is private: only a signed URL reads it
    policy = public.get(f"/reports/{report.public_id}").headers["Content-Security-Policy"]
    assert re.search(r"img-src [^;]*" + re.escape(app.config["PHOTO_S3_ENDPOINT_URL"]), policy)

    login_as("manager", "dot-bk", email="moderator@city.example")
    old_token = photo.token
    token = csrf_token(client, f"/staff/reports/{report.public_id}")
    done = client.post(f"/staff/photos/{photo.id}/hide", data={"csrf_token": token, "reason": "personal_information"})
    assert done.status_code == 303
    session.refresh(photo)
    assert photo.hidden_reason is not None and photo.token != old_token

    for path in (f"/photos/{old_token}.jpg", f"/photos/{photo.token}.jpg", f"/photos/{photo.token}/thumb.jpg"):
        answer = public.get(path)
        assert answer.status_code == 404 and "Location" not in answer.headers, path
    seen = client.get(f"/photos/{photo.token}.jpg")  # the moderator still sees it, through the app only
    assert seen.status_code == 200 and hashlib.sha256(seen.data).hexdigest() == photo.sha256
    assert "no-store" in seen.headers["Cache-Control"]


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_photo_missing_from_its_store_is_a_404_and_logged(request, app, client, session, categories, photo_dir,
                                                            caplog, where):
    if where == "s3":
        bucket = request.getfixturevalue("bucket")
    _, photo = send_with_photo(client, categories)
    if where == "s3":
        boto3.client("s3", endpoint_url=app.config["PHOTO_S3_ENDPOINT_URL"], region_name=REGION).delete_object(
            Bucket=bucket, Key=f"{photo.key}.jpg")
    else:
        next(photo_dir.rglob(f"{photo.key}.jpg")).unlink()

    with caplog.at_level(logging.ERROR, logger="seeclick.photos.views"):
        answer = client.get(f"/photos/{photo.token}.jpg")
    assert answer.status_code == 404
    assert f"photo {photo.id}" in caplog.text and "missing from its store" in caplog.text
    assert client.get(f"/photos/{photo.token}/thumb.jpg").status_code == 200  # what is still there is served

    session.commit()  # what the requests did, kept for the command's own transactions
    result = app.test_cli_runner().invoke(args=["photos", "check"])
    assert result.exit_code == 1 and f"photo {photo.id}" in result.output and f"{photo.key}.jpg" in result.output
    assert "1 missing" in result.output


def test_an_object_whose_row_was_rolled_back_is_swept_a_day_on(app, session, bucket):
    kept, _ = photos.stage(phone_jpeg(), "kept.jpg")
    session.commit()
    photos.stage(phone_jpeg(size=(320, 240)), "lost.jpg")  # written to the bucket, then the transaction fails
    session.rollback()
    boto3.client("s3", endpoint_url=app.config["PHOTO_S3_ENDPOINT_URL"], region_name=REGION).put_object(
        Bucket=bucket, Key="notes/README.txt", Body=b"not a photo")  # someone else's: never swept
    assert len(bucket_objects(app, bucket)) == 5

    assert storage.sweep() == 0  # an object this young may belong to a transaction still running
    assert storage.sweep(now=datetime.now(UTC) + timedelta(days=1, minutes=5)) == 2
    assert set(bucket_objects(app, bucket)) == {f"{kept.key}.jpg", f"{kept.key}.thumb.jpg", "notes/README.txt"}
    assert storage.sweep(now=datetime.now(UTC) + timedelta(days=2)) == 0


def test_a_file_a_crash_left_half_written_in_the_directory_is_swept(session, photo_dir):
    kept, _ = photos.stage(phone_jpeg(), "kept.jpg")
    session.commit()
    folder = next(photo_dir.iterdir())
    (folder / ".tmp1234.partial").write_bytes(b"half a photo")
    (folder / "orphan.jpg").write_bytes(b"a photo whose row was rolled back")

    assert storage.sweep(now=datetime.now(UTC) + timedelta(days=2)) == 2
    assert set(local_files(photo_dir)) == {f"{kept.key}.jpg", f"{kept.key}.thumb.jpg"}


def test_staged_photos_never_sent_are_purged_with_their_objects(app, session, photo_dir, monkeypatch):
    staged, _ = photos.stage(phone_jpeg(), "forgotten.jpg")
    staged.created_at = datetime.now(UTC) - timedelta(days=2)
    session.commit()
    assert len(local_files(photo_dir)) == 2
    monkeypatch.setattr(jobs, "_flask_app", app)

    staged_id = staged.id
    assert tasks.purge_staged_photos.func(0) == 1
    assert session.scalar(select(Photo.id).where(Photo.id == staged_id)) is None and local_files(photo_dir) == {}


def served(client, tokens) -> dict[str, tuple[bytes, bytes]]:
    return {t: (client.get(f"/photos/{t}.jpg").data, client.get(f"/photos/{t}/thumb.jpg").data) for t in tokens}


def test_photos_move_from_the_database_to_a_directory_to_a_bucket_and_back_byte_for_byte(
        app, client, session, make_report, bucket, photo_dir):
    app.config["PHOTO_STORE"] = "database"  # an installation from before the stores
    tokens = []
    for i in range(5):
        report = make_report()
        photo, _ = photos.stage(phone_jpeg(size=(300 + i, 200)), f"old-{i}.jpg")
        photos.attach([photo], report)
        tokens.append(photo.token)
    session.commit()
    assert set(session.scalars(select(Photo.store))) == {"database"}
    before = served(client, tokens)
    assert all(image and thumb for image, thumb in before.values())
    cli = app.test_cli_runner()

    for to in ("local", "s3", "local"):
        result = cli.invoke(args=["photos", "move", "--to", to, "--batch", "2"])
        assert result.exit_code == 0, result.output
        assert f"moved 5 photos to {to}" in result.output and "5/5" in result.output
        assert served(client, tokens) == before, to
        rows = session.scalars(select(Photo)).all()
        assert {p.store for p in rows} == {to} and all(p.image is None and p.thumbnail is None for p in rows)
        in_bucket, in_directory = bucket_objects(app, bucket), local_files(photo_dir)
        assert len(in_bucket if to == "s3" else in_directory) == 10  # two objects a photo, and the old copies gone
        assert len(in_directory if to == "s3" else in_bucket) == 0

    again = cli.invoke(args=["photos", "move", "--to", "local"])
    assert again.exit_code == 0 and "0 to move" in again.output and "moved 0 photos" in again.output

    back = cli.invoke(args=["photos", "move", "--to", "database"])
    assert back.exit_code == 0, back.output
    assert served(client, tokens) == before and local_files(photo_dir) == {}


def test_a_move_stopped_by_a_missing_photo_moves_the_rest_and_goes_on_when_run_again(
        app, client, session, make_report, bucket, photo_dir):
    app.config["PHOTO_STORE"] = "local"
    made = []
    for i in range(3):
        photo, _ = photos.stage(phone_jpeg(size=(300 + i, 200)), f"p-{i}.jpg")
        photos.attach([photo], make_report())
        made.append(photo)
    session.commit()
    lost = next(photo_dir.rglob(f"{made[1].key}.jpg"))
    kept_aside = lost.read_bytes()
    lost.unlink()
    cli = app.test_cli_runner()

    result = cli.invoke(args=["photos", "move", "--to", "s3"])
    assert result.exit_code == 1
    assert f"photo {made[1].id}: not in its store local" in result.output and "moved 2 photos to s3" in result.output
    assert [session.get(Photo, p.id).store for p in made] == ["s3", "local", "s3"]

    lost.write_bytes(kept_aside)  # found again: the next run takes the one left
    result = cli.invoke(args=["photos", "move", "--to", "s3"])
    assert result.exit_code == 0 and "1 to move" in result.output and "moved 1 photos to s3" in result.output
    assert {session.get(Photo, p.id).store for p in made} == {"s3"}
    assert client.get(f"/photos/{made[1].token}.jpg").data == kept_aside


@pytest.mark.parametrize("args, message", [
    (["--to", "ftp"], "'ftp' is not one of 'database', 'local', 's3'"),
    (["--to", "local", "--batch", "0"], "0 is not in the range x>=1"),
    ([], "Missing option '--to'"),
])
def test_a_bad_move_is_told_what_is_wrong(app, session, args, message):
    result = app.test_cli_runner().invoke(args=["photos", "move", *args])
    assert result.exit_code == 2 and message in result.output


def test_a_move_to_a_bucket_not_configured_is_refused_before_touching_a_photo(app, session):
    result = app.test_cli_runner().invoke(args=["photos", "move", "--to", "s3"])
    assert result.exit_code == 1 and "SEECLICK_PHOTO_S3_BUCKET is not set" in result.output


@pytest.mark.parametrize("settings, message", [
    ({"PHOTO_STORE": "disk"}, "SEECLICK_PHOTO_STORE is 'disk'"),
    ({"PHOTO_STORE": "s3", "PHOTO_S3_BUCKET": ""}, "SEECLICK_PHOTO_S3_BUCKET is not set"),
])
def test_a_photo_store_misconfigured_stops_the_app_at_start(settings, message):
    with pytest.raises(RuntimeError, match=re.escape(message)):
        create_app({"TESTING": True, **settings})
