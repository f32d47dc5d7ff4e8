"""Configuration read from the environment."""

import re
import shutil
import subprocess
import sys

import pytest

from config import INSTANCE, normalise


def test_sessions_are_signed_with_a_key_of_this_instance(app):
    key = app.config["SECRET_KEY"]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == (INSTANCE / "secret_key").read_text().strip()
    assert (INSTANCE / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only


@pytest.mark.parametrize("url, expected", [
    ("postgres://u:p@db/x", "postgresql+psycopg2://u:p@db/x"),
    ("postgresql://u:p@db/x", "postgresql+psycopg2://u:p@db/x"),
    ("postgresql+psycopg2://u:p@db/x", "postgresql+psycopg2://u:p@db/x"),
    (None, None),
])
def test_database_urls_use_the_psycopg2_driver(url, expected):
    assert normalise(url) == expected


def test_reading_the_configuration_writes_nothing(tmp_path):
    """Importing config (a command, a tool, a test collecting) makes no key; create_app() makes it when needed."""
    shutil.copy(INSTANCE.parent / "config.py", tmp_path / "config.py")
    subprocess.run([sys.executable, "-c", "import config; assert config.Config.SECRET_KEY is None"], cwd=tmp_path,
                   env={"PATH": "/usr/bin:/bin"}, check=True)
    assert not (tmp_path / "instance").exists()
