"""`flask departments ...`."""

import click
from flask.cli import with_appcontext

from seeclick.departments import queries, services
from seeclick.extensions import db


@click.group(help="Departments that act on reports.")
def departments():
    pass


@departments.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--agency", help="The agency it belongs to (defaults to the code).")
@click.option("--email", help="Where the department is told of new reports.")
@with_appcontext
def create_department(code, name, agency, email):
    """Create a department CODE called NAME."""
    try:
        department = services.create_department(code, name, agency, email)
        db.session.commit()
    except services.DepartmentError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"created department {department.code}: {department.name}")


@departments.command("list")
@with_appcontext
def list_departments():
    for department in queries.by_agency():
        click.echo(f"{department.code:<14} {department.agency:<6} {department.name}")
