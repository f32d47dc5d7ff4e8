"""WSGI entry point: `gunicorn wsgi:app`."""

from seeclick import create_app

app = create_app()
