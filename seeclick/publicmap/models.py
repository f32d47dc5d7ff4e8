"""The public map's counts per cell (migrations 0009 and 0021 create them, with the trigger and functions)."""

from sqlalchemy import Boolean, Column, Date, Integer, SmallInteger, Table

from seeclick.extensions import db

# Reports per cell, month and open-or-closed, four ways (category_id or department_id 0: all of them).
map_cell = Table(
    "map_cell", db.metadata,
    Column("level", SmallInteger, primary_key=True),
    Column("category_id", Integer, primary_key=True),
    Column("department_id", Integer, primary_key=True),
    Column("x", Integer, primary_key=True),
    Column("y", Integer, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("is_open", Boolean, primary_key=True),
    Column("n", Integer, nullable=False),
)

# The same counts with the months added up (migration 0021): what a map with no months chosen sums.
map_total = Table(
    "map_total", db.metadata,
    Column("level", SmallInteger, primary_key=True),
    Column("category_id", Integer, primary_key=True),
    Column("department_id", Integer, primary_key=True),
    Column("x", Integer, primary_key=True),
    Column("y", Integer, primary_key=True),
    Column("is_open", Boolean, primary_key=True),
    Column("n", Integer, nullable=False),
)

# Report changes waiting to be folded into map_cell: +1 for what a report counts as now, -1 before.
map_delta = Table(
    "map_delta", db.metadata,
    Column("category_id", Integer, nullable=False),
    Column("department_id", Integer, nullable=False),
    Column("x", Integer, nullable=False),
    Column("y", Integer, nullable=False),
    Column("month", Date, nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("n", Integer, nullable=False),
)
