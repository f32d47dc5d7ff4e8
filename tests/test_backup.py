"""`flask backup` then `flask restore` into a new database: the restored service serves the same reports and photos."""

import json
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from seeclick import create_app
from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.photos import services as photos
from seeclick.reports.submission import Draft, submit
from tests.conftest import CROWN_HEIGHTS
from tests.faults import DATABASE, sqlalchemy_url
from tests.test_photos import phone_jpeg


def app_on(url, photo_dir, store="local"):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "PHOTO_STORE": store,
                       "PHOTO_DIR": str(photo_dir)})


@pytest.fixture
def restored_url(durable_cluster):
    """A new, empty database (PostGIS only) to restore into, dropped afterwards."""
    name = f"seeclick_restored_{uuid.uuid4().hex[:8]}"
    durable_cluster.psql(f'CREATE DATABASE "{name}"')
    durable_cluster.psql("CREATE EXTENSION postgis", database=name)
    yield durable_cluster.url(name)
    durable_cluster.psql(f'DROP DATABASE "{name}" WITH (FORCE)')


def file_reports(app, count=3):
    """Reports made as the form makes them, each with a photo, committed."""
    made = []
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        for i in range(count):
            photo, _ = photos.stage(phone_jpeg(size=(800 + i, 600)), f"hole-{i}.jpg")
            report, _ = submit(Draft(category_id=pothole.id, where=CROWN_HEIGHTS, description=f"Backed-up hole {i}",
                                     answers={"size": [pothole.questions[0].values[0]["key"]]},
                                     photo_tokens=[photo.token], email=f"resident{i}@example.org",
                                     submission_key=f"backup-{uuid.uuid4().hex}"))
            db.session.commit()
            made.append((report.public_id, photo.token))
    return made


def counted(engine, sql):
    """One row from a connection returned at once: a connection left to the garbage collector is reset later,
    against a database this test has dropped, in the middle of whatever the next test is doing."""
    with engine.connect() as connection:
        return connection.execute(text(sql)).one()


@pytest.mark.parametrize("store", ["database", "local"])
def test_a_restored_database_serves_the_same_reports_and_photos(durable_cluster, restored_url, tmp_path, store):
    """Photos in the database come back with the archive; photos in a directory with a copy of the directory."""
    source = app_on(durable_cluster.url(DATABASE), tmp_path / "photos", store)
    made = file_reports(source)
    before = {public_id: source.test_client().get(f"/photos/{token}.jpg").data for public_id, token in made}
    assert all(before.values())
    archive = tmp_path / "seeclick.dump"

    result = source.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "photos" in result.output and archive.stat().st_size > 0
    if store == "local":
        assert "are in the photo store, not in this archive: the directory " in result.output
        shutil.copytree(tmp_path / "photos", tmp_path / "photos-copy")  # the directory backed up beside it
    result = source.test_cli_runner().invoke(args=["restore", str(archive), "--into", restored_url])
    assert result.exit_code == 0, result.output

    restored = app_on(restored_url, tmp_path / "photos-copy")
    client = restored.test_client()
    for public_id, token in made:
        page = client.get(f"/reports/{public_id}")
        assert page.status_code == 200
        assert f"Backed-up hole {made.index((public_id, token))}" in page.get_data(as_text=True)
        assert client.get(f"/photos/{token}.jpg").data == before[public_id]  # the same bytes
        [served] = json.loads(client.get(f"/open311/v2/requests/{public_id}.json").data)
        assert served["service_code"] == "pothole" and served["media_url"].endswith(f"/photos/{token}.jpg")
    counts = "SELECT (SELECT count(*) FROM report), (SELECT count(*) FROM photo), (SELECT count(*) FROM follower)"
    engines = [create_engine(sqlalchemy_url(u)) for u in (durable_cluster.url(DATABASE), restored_url)]
    try:
        original, copy = (counted(engine, counts) for engine in engines)
    finally:
        for engine in engines:
            engine.dispose()
    assert original == copy


def test_restore_refuses_a_database_that_holds_the_service_already(durable_cluster, tmp_path):
    source = app_on(durable_cluster.url(DATABASE), tmp_path / "photos")
    archive = tmp_path / "seeclick.dump"
    assert source.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    refused = source.test_cli_runner().invoke(args=["restore", str(archive)])  # into itself
    assert refused.exit_code != 0 and "already holds" in refused.output and "--replace" in refused.output
