"""Column types shared by every domain's models."""

import enum

from seeclick.extensions import db


def pg_enum(enum_class: type[enum.Enum], name: str):
    """A PostgreSQL enum type named `name` holding the members' values (not their Python names)."""
    return db.Enum(enum_class, name=name, values_callable=lambda members: [m.value for m in members])
