"""`flask users ...`."""

import click
from flask.cli import with_appcontext

from seeclick.accounts import queries, services
from seeclick.accounts.models import Role
from seeclick.departments import queries as departments
from seeclick.extensions import db


def committed(work):
    try:
        result = work()
        db.session.commit()
        return result
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None


@click.group(help="Staff, managers and administrators.")
def users():
    pass


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.STAFF.value, show_default=True)
@click.option("--department", "department_code", help="Code of the department (staff and managers).")
@click.option("--name", default="", help="The person's name, as colleagues see it.")
@click.password_option(help="Asked for when not given (at least 12 characters).")
@with_appcontext
def create_user(email, role, department_code, name, password):
    """Create an account for EMAIL."""
    department = None
    if department_code:
        department = departments.by_code(department_code)
        if department is None:
            raise click.ClickException(f"No department with code {department_code!r} (see `flask departments list`).")
    user = committed(lambda: services.create_user(email, password, Role(role), department, name))
    click.echo(f"created {user.role} {user.email}" + (f" in {department.name}" if department else ""))


@users.command("list")
@with_appcontext
def list_users():
    for user in queries.users():
        where = user.department.code if user.department else "-"
        click.echo(f"{user.role:<8} {where:<14} {'active' if user.active else 'inactive':<8} {user.email}")
