"""The response-time rollups (migration 0008): written only by stats.services, read by stats.queries.

A group is a (dimension, group_id): ('city', 0), ('department', id), ('category', id),
('neighbourhood', id), ('week', days from 1970-01-01 to the Monday, UTC, the week began), or
('month', months from January 1970 to the month, UTC, it began).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    false,
)

from seeclick.extensions import db


def _group():
    return Column("dimension", Text, nullable=False), Column("group_id", Integer, nullable=False)


def _counts(*names):
    return [Column(name, Integer, nullable=False) for name in names]


# A report's figures before (-1) and after (+1) each change, appended by a trigger on report.
stats_delta = Table(
    "stats_delta", db.metadata,
    Column("sign", SmallInteger, nullable=False),
    Column("department_id", Integer, nullable=False),
    Column("category_id", Integer, nullable=False),
    Column("neighbourhood_id", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True)),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("duplicate", Boolean, nullable=False),
    Column("confirmed", Boolean),  # the answer to "was it fixed?"
    Column("reopened", Boolean, nullable=False, server_default=false()),
)

# When the rollups were last brought up to date: every figure is "as of" this time.
stats_state = Table(
    "stats_state", db.metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("folded_at", DateTime(timezone=True)),
    CheckConstraint("id = 1", name="one_row"),
)

# Per group, of the reports made in the 365 days before folded_at. overdue: open and past due.
stats_count = Table(
    "stats_count", db.metadata,
    *_group(),
    *_counts("reports", "acknowledged", "closed", "open", "on_time", "overdue"),
    # Closed as fixed and asked: how many answered, how many said it was fixed; reports reopened at least once.
    *(Column(name, Integer, nullable=False, server_default="0") for name in ("answered", "confirmed", "reopened")),
    PrimaryKeyConstraint("dimension", "group_id"),
    CheckConstraint("dimension IN ('city', 'department', 'category', 'neighbourhood', 'week', 'month')",
                    name="dimension"),
    postgresql_with={"fillfactor": 50},
)

# Times to acknowledge and to close: how many fell in each 2%-wide bucket, and their sum in seconds.
stats_histogram = Table(
    "stats_histogram", db.metadata,
    *_group(),
    Column("measure", Text, nullable=False),
    Column("bucket", SmallInteger, nullable=False),
    Column("n", Integer, nullable=False),
    Column("seconds", Double, nullable=False),
    PrimaryKeyConstraint("dimension", "group_id", "measure", "bucket"),
    CheckConstraint("measure IN ('acknowledge', 'close', 'merge')", name="measure"),
    postgresql_with={"fillfactor": 50},
)

# Open reports' creation times, in buckets of 2^tier minutes (minutes [bucket << tier, (bucket + 1) << tier)
# since 1970), merged into wider ones as they age; moves_at: the minute from which the bucket is merged.
stats_open = Table(
    "stats_open", db.metadata,
    *_group(),
    Column("tier", SmallInteger, nullable=False),
    Column("bucket", BigInteger, nullable=False),
    Column("n", Integer, nullable=False),
    Column("created_sum", Double, nullable=False),
    Column("moves_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("dimension", "group_id", "tier", "bucket"),
    Index("ix_stats_open_moves_at", "moves_at"),
    postgresql_with={"fillfactor": 50},
)

# Reports of the last 365 days by neighbourhood and category: what is reported most in a neighbourhood.
stats_neighbourhood_category = Table(
    "stats_neighbourhood_category", db.metadata,
    Column("neighbourhood_id", Integer, nullable=False),
    Column("category_id", Integer, nullable=False),
    Column("reports", Integer, nullable=False),
    PrimaryKeyConstraint("neighbourhood_id", "category_id"),
)

# What the pages read: each group's figures, recomputed from the above when they change.
stats_result = Table(
    "stats_result", db.metadata,
    *_group(),
    *_counts("reports", "acknowledged", "closed", "open", "on_time", "judged"),
    *(Column(name, Double) for name in ("ack_p50", "ack_p90", "close_p50", "close_p90", "open_created_p50")),
    *(Column(name, Integer, nullable=False, server_default="0") for name in ("answered", "confirmed", "reopened")),
    # The mean time to close of closed reports; Kaplan-Meier median (with its 95% interval) and 90th
    # percentile of the time to close, open reports and merged duplicates counted as censored.
    *(Column(name, Double) for name in ("close_mean", "km_p50", "km_p50_low", "km_p50_high", "km_p90")),
    Column("km_at", DateTime(timezone=True)),  # when the estimates were made (open reports censored at that time)
    PrimaryKeyConstraint("dimension", "group_id"),
)
