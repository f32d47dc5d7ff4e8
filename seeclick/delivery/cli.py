"""`flask cities ...`: the city's own systems, how departments send to them, and how sending goes."""

import click
from flask.cli import with_appcontext

from seeclick.categories import queries as categories
from seeclick.delivery import queries, services
from seeclick.delivery.models import CityUpdates, SendMethod
from seeclick.departments import queries as departments
from seeclick.extensions import db
from seeclick.open311.client import CityError


@click.group(help="The city's own systems: Open311 endpoints reports are sent to, and their changes read from.")
def cities():
    pass


def _commit_or_fail(work):
    try:
        result = work()
    except services.DeliveryError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    return result


@cities.command("add")
@click.argument("code")
@click.argument("name")
@click.argument("endpoint")
@click.option("--api-key", default="", help="The key the city gave us for posting.")
@click.option("--jurisdiction", "jurisdiction_id", default="", help="The city's jurisdiction_id, if it wants one.")
@click.option("--format", "fmt", type=click.Choice(services.FORMATS), default="xml", show_default=True)
@click.option("--updates", type=click.Choice([u.value for u in CityUpdates]), default="servicerequestupdates",
              show_default=True, help="How its changes are read back.")
@click.option("--send-contact", is_flag=True, help="Send the reporter's name, email and phone with each report.")
@with_appcontext
def add(code, name, endpoint, api_key, jurisdiction_id, fmt, updates, send_contact):
    """Add (or change) the city system CODE at ENDPOINT, the base URL of its GeoReport v2."""
    system = _commit_or_fail(lambda: services.save_system(code, name, endpoint, api_key, jurisdiction_id, fmt,
                                                          CityUpdates(updates), send_contact))
    click.echo(f"city system {system.code}: {system.endpoint} ({system.format}, updates by {system.updates.value})")


@cities.command("service")
@click.argument("city")
@click.argument("category_code")
@click.argument("service_code")
@with_appcontext
def service(city, category_code, service_code):
    """The city system CITY calls our category CATEGORY_CODE by SERVICE_CODE."""
    system, category = _system(city), categories.by_code(category_code)
    if category is None:
        raise click.ClickException(f"There is no category {category_code!r}.")
    _commit_or_fail(lambda: services.map_service(system, category, service_code))
    click.echo(f"{category.code} is {service_code} at {system.code}")


@cities.command("send")
@click.argument("method", type=click.Choice([*[m.value for m in SendMethod], "department"]))
@click.option("--department", "department_code", help="The department whose reports these are.")
@click.option("--category", "category_code", help="Or a category: its reports, whichever department takes them.")
@click.option("--city", help="The city system, for open311.")
@with_appcontext
def send(method, department_code, category_code, city):
    """How reports leave seeclick: mail, open311 (to --city), none; for a category, `department` undoes its own."""
    if bool(department_code) == bool(category_code):
        raise click.UsageError("give exactly one of --department or --category")
    owner = departments.by_code(department_code) if department_code else categories.by_code(category_code)
    if owner is None:
        raise click.ClickException(f"There is no {'department' if department_code else 'category'} "
                                   f"{department_code or category_code!r}.")
    system = _system(city) if city else None
    chosen = None if method == "department" else SendMethod(method)
    _commit_or_fail(lambda: services.set_send_method(owner, chosen, system))
    click.echo(f"{owner.code}: {method}" + (f" to {system.code}" if system and chosen is SendMethod.OPEN311 else ""))


@cities.command("list")
@with_appcontext
def list_systems():
    for s in queries.systems():
        click.echo(f"{s.code}\t{s.endpoint}\t{s.format}\tupdates by {s.updates.value}"
                   f"\t{'sends contact details' if s.send_contact else 'no contact details'}\t{s.name}")


@cities.command("status")
@with_appcontext
def status():
    """Per city system: reports sent, waiting, failed, retried, and changes applied back here."""
    for row in queries.figures():
        read = f"last read {row.checked_at:%Y-%m-%d %H:%M:%S %Z}" if row.checked_at else "never read"
        click.echo(f"{row.code}: {row.sent} sent ({row.retried} after a retry, {row.retries} retries), "
                   f"{row.pending} waiting ({row.retrying} after a failed attempt), {row.failed} failed; "
                   f"{row.applied} updates applied; {read}")
        if row.check_failures:
            click.echo(f"  reading failed {row.check_failures} times in a row: {row.last_check_error}")


@cities.command("check")
@with_appcontext
def check():
    """Read every city system's changes now (the worker does it every minute)."""
    for system_id in queries.system_ids_to_check():
        system = queries.lock_system(system_id)
        if system is None:
            continue
        try:
            applied = services.check(system)
        except CityError as error:
            db.session.commit()
            click.echo(f"{system.code}: {error}", err=True)
            continue
        db.session.commit()
        click.echo(f"{system.code}: {applied} updates applied")


def _system(code):
    system = queries.system_by_code(code)
    if system is None:
        raise click.ClickException(f"There is no city system {code!r}; `flask cities list` shows them.")
    return system
