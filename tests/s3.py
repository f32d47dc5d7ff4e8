"""A real S3-compatible server for the photo-store tests: moto's standalone server, in its own process on loopback.

boto3 speaks to it over HTTP exactly as to AWS (signed requests, real responses); each test gets a
bucket of its own, and the app is pointed at it for that test only.
"""

import os
import subprocess
import sys
import time
import uuid

import boto3
import pytest
import requests

from tests.faults import free_port

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "seeclick-test", "AWS_SECRET_ACCESS_KEY": "seeclick-test-secret"}
REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_server():
    """The server's endpoint URL; it is stopped when the tests end."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # its first answer loads its services: seconds on a busy machine
    while True:
        try:
            requests.get(endpoint, timeout=30)
            break
        except (requests.ConnectionError, requests.Timeout):
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                server.wait()
                raise RuntimeError("the S3 server (moto) did not start") from None
            time.sleep(0.1)
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)  # boto3's standard chain reads them, as it would a real deployment's
    try:
        yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(app, s3_server):
    """A new private bucket, and the app storing new photos in it (the local store stays configured too)."""
    name = f"seeclick-photos-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name=REGION)
    client.create_bucket(Bucket=name)
    app.config.update(PHOTO_STORE="s3", PHOTO_S3_BUCKET=name, PHOTO_S3_ENDPOINT_URL=s3_server,
                      PHOTO_S3_REGION=REGION)
    return name
