"""When each periodic job last finished its work (migration 0012)."""

from sqlalchemy import Column, DateTime, String, Table

from seeclick.extensions import db

job_run = Table(
    "job_run", db.metadata,
    Column("task", String(80), primary_key=True),
    Column("finished_at", DateTime(timezone=True), nullable=False),
)
