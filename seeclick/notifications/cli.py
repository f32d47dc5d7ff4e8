"""`flask jobs ...`: the background worker that sends mail and keeps house."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from seeclick import jobs
from seeclick.extensions import db
from seeclick.notifications import queries


@click.group(help="The background job queue (mail, housekeeping).")
def jobs_group():
    pass


@jobs_group.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs that are due, then stop (for cron or a test).")
@click.option("--concurrency", default=2, show_default=True, help="Jobs run at the same time.")
@with_appcontext
def worker(once, concurrency):
    """Send queued mail and run periodic housekeeping until stopped."""
    app = current_app._get_current_object()
    if not logging.getLogger().handlers:  # say what the worker does, job by job
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not app.config.get("MAIL_SMTP_HOST"):
        click.echo(f"jobs: no SMTP server configured; mail is written to {app.config['MAIL_DIRECTORY']}")
    db.session.remove()
    jobs.run_worker(app, once=once, concurrency=concurrency)


@jobs_group.command("status")
@with_appcontext
def status():
    """How much mail is waiting, sent and failing."""
    waiting, sent, failing = queries.outbox_counts()
    click.echo(f"mail: {waiting} waiting ({failing} after a failed attempt), {sent} sent")
