"""`flask users ...` and `flask departments ...`."""

import click
from flask.cli import with_appcontext

from seeclick.accounts import queries, services
from seeclick.extensions import db
from seeclick.models import Role


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
        department = queries.department_by_code(department_code)
        if department is None:
            raise click.ClickException(f"No department with code {department_code!r} (see `flask departments list`).")
    user = committed(lambda: services.create_user(email, password, Role(role), department, name))
    click.echo(f"created {user.role} {user.email}" + (f" in {department.name}" if department else ""))


@users.command("list")
@with_appcontext
def list_users():
    for user in db.session.scalars(queries.users_select()):
        where = user.department.code if user.department else "-"
        click.echo(f"{user.role:<8} {where:<14} {'active' if user.active else 'inactive':<8} {user.email}")


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
    department = committed(lambda: services.create_department(code, name, agency, email))
    click.echo(f"created department {department.code}: {department.name}")


@departments.command("list")
@with_appcontext
def list_departments():
    from sqlalchemy import select

    from seeclick.models import Department

    for department in db.session.scalars(select(Department).order_by(Department.agency, Department.code)):
        click.echo(f"{department.code:<14} {department.agency:<6} {department.name}")
