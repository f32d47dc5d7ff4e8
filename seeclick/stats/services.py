"""Keep the response-time rollups current: fold recorded report changes in. Flush, never commit.

A trigger on report (migration 0008) appends to stats_delta, for every change that matters here,
the report's figures before (sign -1) and after (+1). `fold()`, which the job queue runs every
minute, adds those rows into per-group counters and histograms and recomputes the figures of the
groups they touched. Time passing changes figures too, and fold() applies that as well: reports
made more than 365 days ago leave, open reports whose due time has passed count as late, and the
buckets of open reports' creation times widen as they age.

The rollups hold F(reports, T), the figures of the reports as they are, evaluated at T, the
`folded_at` of stats_state. Folding from T to T' adds, for each recorded change, F(after, T) -
F(before, T); then removes the reports made in [T - 365 days, T' - 365 days) with F(report, T), and
counts as late the open reports due in (T, T']. A change to a report made before T - 365 days is
ignored (it has left the window already). The change rows taken and the reports read must be of
one moment: the job runs in a REPEATABLE READ transaction (one snapshot for all its statements);
in any other, fold() first locks stats_delta, and report changes wait for it (milliseconds).
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from seeclick import dbapi
from seeclick.extensions import db
from seeclick.stats import survival

# Each time bucket is 2% wide, so a median or 90th percentile read from the buckets is within 2% of
# the exact one (within a second under one second); stats_bucket() in migration 0008 uses the same.
BUCKET_RATIO = 1.02

# The groups a change counts in, as grouping sets over the changes `c`: the city, its department, its
# category, its neighbourhood (when it has one) and the week and month it was made. One pass, however
# many changes.
DIMENSIONS = ("department", "category", "neighbourhood", "week", "month")
PERIODS = ("week", "month")


def _grouping(dimensions=DIMENSIONS):
    """GROUPING SETS over the changes `c`, and the (dimension, group_id) each of its rows is for."""
    sets = ", ".join(f"(c.{d}_id)" if d not in PERIODS else f"(c.{d})" for d in dimensions)
    columns = [f"c.{d}_id" if d not in PERIODS else f"c.{d}" for d in dimensions]
    which = " ".join(f"WHEN grouping({column}) = 0 THEN '{d}'" for d, column in zip(dimensions, columns, strict=True))
    return (f"GROUPING SETS ((), {sets})",
            f"CASE {which} ELSE 'city' END AS dimension, coalesce({', '.join(columns)}, 0) AS group_id")


GROUPING, GROUP = _grouping()
# No row for the city when there are no changes at all, none for "the neighbourhood" of reports without one.
NOT_NOWHERE = "HAVING count(*) > 0 AND (grouping(c.neighbourhood_id) = 1 OR c.neighbourhood_id IS NOT NULL)"
WEEK = ("date_trunc('week', created_at AT TIME ZONE 'UTC')::date - date '1970-01-01' AS week, "
        "(date_part('year', created_at AT TIME ZONE 'UTC')::int - 1970) * 12 "
        "+ date_part('month', created_at AT TIME ZONE 'UTC')::int - 1 AS month")

# Every report of the window, as a change that adds it: what a rebuild folds in.
ALL_REPORTS = f"""(
    SELECT 1 AS sign, false AS due_only, department_id, category_id, neighbourhood_id, created_at, due_at,
           acknowledged_at, closed_at, status = 'duplicate' AS duplicate, fix_confirmed AS confirmed,
           reopens > 0 AS reopened, {WEEK}
    FROM report WHERE created_at >= CAST(:at AS timestamptz) - interval '365 days') AS c"""
CHANGES = f"(SELECT *, {WEEK} FROM stats_change) AS c"

# Closed (not as a duplicate) and the reporter (or a follower) answered "was it fixed?".
ANSWERED = "c.closed_at IS NOT NULL AND NOT c.duplicate AND c.confirmed IS NOT NULL"

COUNTS = f"""
    INSERT INTO stats_count AS s (dimension, group_id, reports, acknowledged, closed, open, on_time, overdue,
                                  answered, confirmed, reopened)
    SELECT {GROUP},
           sum(CASE WHEN NOT c.due_only THEN c.sign ELSE 0 END),
           sum(CASE WHEN NOT c.due_only AND c.acknowledged_at IS NOT NULL THEN c.sign ELSE 0 END),
           sum(CASE WHEN NOT c.due_only AND c.closed_at IS NOT NULL AND NOT c.duplicate THEN c.sign ELSE 0 END),
           sum(CASE WHEN NOT c.due_only AND c.closed_at IS NULL THEN c.sign ELSE 0 END),
           sum(CASE WHEN NOT c.due_only AND NOT c.duplicate AND c.closed_at <= c.due_at THEN c.sign ELSE 0 END),
           sum(CASE WHEN c.due_only OR (c.closed_at IS NULL AND c.due_at <= :at) THEN c.sign ELSE 0 END),
           sum(CASE WHEN NOT c.due_only AND {ANSWERED} THEN c.sign ELSE 0 END),
           sum(CASE WHEN NOT c.due_only AND {ANSWERED} AND c.confirmed THEN c.sign ELSE 0 END),
           sum(CASE WHEN NOT c.due_only AND c.reopened THEN c.sign ELSE 0 END)
    FROM {{source}}
    GROUP BY {GROUPING} {NOT_NOWHERE}
    ON CONFLICT (dimension, group_id) DO UPDATE SET
        reports = s.reports + excluded.reports, acknowledged = s.acknowledged + excluded.acknowledged,
        closed = s.closed + excluded.closed, open = s.open + excluded.open,
        on_time = s.on_time + excluded.on_time, overdue = s.overdue + excluded.overdue,
        answered = s.answered + excluded.answered, confirmed = s.confirmed + excluded.confirmed,
        reopened = s.reopened + excluded.reopened
"""

# One statement a measure: a pass over the changes with no row for a measure they lack.
HISTOGRAM = f"""
    WITH changed AS (
        INSERT INTO stats_histogram AS h (dimension, group_id, measure, bucket, n, seconds)
        SELECT {GROUP}, :measure, stats_bucket(c.seconds) AS bucket, sum(c.sign), sum(c.sign * c.seconds)
        FROM (SELECT c.*, {{seconds}} AS seconds FROM {{source}} WHERE NOT c.due_only) AS c
        WHERE c.seconds IS NOT NULL
        GROUP BY stats_bucket(c.seconds), {GROUPING} {NOT_NOWHERE}
        ORDER BY dimension, group_id, bucket
        ON CONFLICT (dimension, group_id, measure, bucket) DO UPDATE SET
            n = h.n + excluded.n, seconds = h.seconds + excluded.seconds
        RETURNING dimension, group_id, measure, bucket, n
    )
    INSERT INTO stats_emptied_histogram SELECT dimension, group_id, measure, bucket FROM changed WHERE n = 0
"""
# A duplicate's close is the merge, not a fix: it has no time to close, only a time it stopped being
# watched (`merge`), which the Kaplan-Meier estimates count as censored.
MEASURES = {
    "acknowledge": "date_part('epoch', c.acknowledged_at - c.created_at)",
    "close": "CASE WHEN NOT c.duplicate THEN date_part('epoch', c.closed_at - c.created_at) END",
    "merge": "CASE WHEN c.duplicate THEN date_part('epoch', c.closed_at - c.created_at) END",
}

# Open reports by creation time: their median age, and what the Kaplan-Meier estimates count as censored.
OPEN = f"""
    WITH changed AS (
        INSERT INTO stats_open AS o (dimension, group_id, tier, bucket, n, created_sum, moves_at)
        SELECT {GROUP}, c.tier, c.bucket, sum(c.sign), sum(c.sign * c.created),
               ((c.bucket >> 1) + 51) << (c.tier + 1)
        FROM (SELECT c.*, k.tier, k.minute >> k.tier AS bucket, date_part('epoch', c.created_at) AS created
              FROM {{source}}
              CROSS JOIN LATERAL (SELECT floor(date_part('epoch', c.created_at) / 60)::bigint AS minute) AS m
              CROSS JOIN LATERAL (SELECT m.minute, stats_open_tier(m.minute, :at_minute) AS tier) AS k
              WHERE NOT c.due_only AND c.closed_at IS NULL
              OFFSET 0) AS c
        GROUP BY c.tier, c.bucket, {GROUPING} {NOT_NOWHERE}
        ORDER BY dimension, group_id, c.tier, c.bucket
        ON CONFLICT (dimension, group_id, tier, bucket) DO UPDATE SET
            n = o.n + excluded.n, created_sum = o.created_sum + excluded.created_sum
        RETURNING dimension, group_id, tier, bucket, n
    )
    INSERT INTO stats_emptied_open SELECT dimension, group_id, tier, bucket FROM changed WHERE n = 0
"""

NEIGHBOURHOOD_CATEGORY = """
    INSERT INTO stats_neighbourhood_category AS s (neighbourhood_id, category_id, reports)
    SELECT c.neighbourhood_id, c.category_id, sum(c.sign) FROM {source}
    WHERE NOT c.due_only AND c.neighbourhood_id IS NOT NULL
    GROUP BY 1, 2
    ON CONFLICT (neighbourhood_id, category_id) DO UPDATE SET reports = s.reports + excluded.reports
"""

# Groups a change was counted in: every figure of theirs is recomputed (the estimates below within a budget).
TOUCHED = f"""
    INSERT INTO stats_dirty SELECT {GROUP}, true FROM {{source}} GROUP BY {GROUPING} {NOT_NOWHERE}
"""
# The Kaplan-Meier estimates cost a pass over every bucket of a group, so a fold makes them again for at
# most SURVIVAL_CHANGED groups it counted a change in (the city first, then those estimated longest ago)
# and SURVIVAL_ROUND others estimated longest ago: every group's reports still open are censored at an
# age at most about an hour old, and a busy minute leaves the rest of its changed groups to the next
# ones. A group whose only change is that its open reports' buckets were merged (WIDEN) keeps its
# estimates.
SURVIVAL_CHANGED, SURVIVAL_ROUND = 40, 8
CHOOSE_ESTIMATES = f"""
    CREATE TEMP TABLE stats_estimate (dimension text, group_id int, PRIMARY KEY (dimension, group_id)) ON COMMIT DROP;
    INSERT INTO stats_estimate
    SELECT d.dimension, d.group_id
    FROM stats_dirty d LEFT JOIN stats_result r ON r.dimension = d.dimension AND r.group_id = d.group_id
    WHERE d.counted ORDER BY d.dimension <> 'city', r.km_at NULLS FIRST, d.dimension, d.group_id
    LIMIT {SURVIVAL_CHANGED};
    INSERT INTO stats_estimate
    SELECT r.dimension, r.group_id FROM stats_result r
    WHERE NOT EXISTS (SELECT 1 FROM stats_estimate e WHERE e.dimension = r.dimension AND e.group_id = r.group_id)
    ORDER BY r.km_at NULLS FIRST, r.dimension, r.group_id LIMIT {SURVIVAL_ROUND};
    INSERT INTO stats_dirty SELECT dimension, group_id, false FROM stats_estimate ON CONFLICT DO NOTHING;
    ANALYZE stats_estimate
"""
ALL_ESTIMATES = """
    CREATE TEMP TABLE stats_estimate ON COMMIT DROP AS SELECT dimension, group_id FROM stats_dirty;
    ANALYZE stats_estimate
"""

# The groups whose figures are recomputed, and the buckets that emptied (deleted once all is added in).
WORK_TABLES = """
    CREATE TEMP TABLE stats_dirty (dimension text, group_id int, counted bool NOT NULL DEFAULT true,
                                   PRIMARY KEY (dimension, group_id)) ON COMMIT DROP;
    CREATE TEMP TABLE stats_emptied_histogram (dimension text, group_id int, measure text, bucket smallint)
        ON COMMIT DROP;
    CREATE TEMP TABLE stats_emptied_open (dimension text, group_id int, tier smallint, bucket bigint) ON COMMIT DROP
"""
CHANGE_TABLE = """
    CREATE TEMP TABLE stats_change (
        sign int NOT NULL, due_only bool NOT NULL, department_id int, category_id int, neighbourhood_id int,
        created_at timestamptz NOT NULL, due_at timestamptz, acknowledged_at timestamptz, closed_at timestamptz,
        duplicate bool NOT NULL, confirmed bool, reopened bool NOT NULL
    ) ON COMMIT DROP
"""
CHANGE_COLUMNS = ("sign, due_only, department_id, category_id, neighbourhood_id, created_at, due_at, "
                  "acknowledged_at, closed_at, duplicate, confirmed, reopened")

# The recorded changes, but not to reports that had already left the window.
RECORDED = f"""
    WITH taken AS (DELETE FROM stats_delta RETURNING *)
    INSERT INTO stats_change ({CHANGE_COLUMNS})
    SELECT sign, false, department_id, category_id, neighbourhood_id, created_at, due_at, acknowledged_at,
           closed_at, duplicate, confirmed, reopened
    FROM taken WHERE created_at >= CAST(:before AS timestamptz) - interval '365 days'
"""
# Reports leaving the window: removed with the figures they were counted with.
EXPIRED = f"""
    INSERT INTO stats_change ({CHANGE_COLUMNS})
    SELECT -1, false, department_id, category_id, neighbourhood_id, created_at, due_at, acknowledged_at, closed_at,
           status = 'duplicate', fix_confirmed, reopens > 0
    FROM report
    WHERE created_at >= CAST(:before AS timestamptz) - interval '365 days'
      AND created_at < CAST(:after AS timestamptz) - interval '365 days'
    ORDER BY created_at  -- read in order from ix_report_created_at, never from the GiST (location, created_at)
"""
# Open reports whose due time came: now late. One index probe a department (department_id, due_at).
BECAME_DUE = f"""
    INSERT INTO stats_change ({CHANGE_COLUMNS})
    SELECT 1, true, r.department_id, r.category_id, r.neighbourhood_id, r.created_at, r.due_at, NULL, NULL, false,
           NULL, false
    FROM department d CROSS JOIN LATERAL (
        SELECT * FROM report r
        WHERE r.department_id = d.id AND r.closed_at IS NULL AND r.due_at > :before AND r.due_at <= :after
    ) AS r
    WHERE r.created_at >= CAST(:after AS timestamptz) - interval '365 days'
"""

# Buckets of open reports' creation times that have aged enough are merged into wider ones.
WIDEN = """
    WITH moved AS (
        DELETE FROM stats_open WHERE moves_at <= :at_minute
        RETURNING dimension, group_id, tier AS old_tier, bucket AS old_bucket, n, created_sum
    ), merged AS (
        SELECT dimension, group_id, t.tier, (old_bucket << old_tier) >> t.tier AS bucket, sum(n) AS n,
               sum(created_sum) AS created_sum
        FROM moved CROSS JOIN LATERAL (SELECT stats_open_tier(old_bucket << old_tier, :at_minute) AS tier) AS t
        GROUP BY 1, 2, 3, 4
    ), kept AS (
        INSERT INTO stats_open AS o (dimension, group_id, tier, bucket, n, created_sum, moves_at)
        SELECT dimension, group_id, tier, bucket, n, created_sum, ((bucket >> 1) + 51) << (tier + 1) FROM merged
        ON CONFLICT (dimension, group_id, tier, bucket) DO UPDATE SET
            n = o.n + excluded.n, created_sum = o.created_sum + excluded.created_sum
        RETURNING dimension, group_id
    )
    INSERT INTO stats_dirty SELECT DISTINCT dimension, group_id, false FROM kept
    WHERE dimension NOT IN ('week', 'month')  -- a period shows no age of its open reports: nothing to redo
    ON CONFLICT DO NOTHING
"""

EMPTIED = """
    DELETE FROM stats_count WHERE reports = 0;
    DELETE FROM stats_histogram h USING stats_emptied_histogram e
    WHERE h.dimension = e.dimension AND h.group_id = e.group_id AND h.measure = e.measure AND h.bucket = e.bucket
      AND h.n = 0;
    DELETE FROM stats_open o USING stats_emptied_open e
    WHERE o.dimension = e.dimension AND o.group_id = e.group_id AND o.tier = e.tier AND o.bucket = e.bucket AND o.n = 0;
    DELETE FROM stats_neighbourhood_category WHERE reports = 0
"""


def _percentiles(table: str, where: str, total: str, order: str, value: str, ps=(0.5, 0.9)) -> str:
    """percentile_cont over one group's buckets (`t`, those of stats_count `c`), as a subquery of one row.

    Each rank takes the mean of its bucket; between two ranks the value is interpolated, as
    percentile_cont does. `total` is how many values there are (the sum of n).
    """
    ranks = ", ".join(f"floor({p} * ({total} - 1))::bigint AS lo{i}, ceil({p} * ({total} - 1))::bigint AS hi{i}, "
                      f"({p} * ({total} - 1) - floor({p} * ({total} - 1)))::float8 AS at{i}" for i, p in enumerate(ps))
    names = [f"{side}{i}" for i in range(len(ps)) for side in ("lo", "hi")]

    def holds(rank):
        return f"r.below <= k.{rank} AND k.{rank} < r.upto"

    def at(rank):
        return f"min(r.v) FILTER (WHERE {holds(rank)})"

    values = ", ".join(f"min(k.at{i}) * ({at(f'hi{i}')} - {at(f'lo{i}')}) + {at(f'lo{i}')} AS p{int(p * 100)}"
                       for i, p in enumerate(ps))
    # The running count needs every bucket; only the (at most four) that hold a rank reach the aggregate.
    # The ranks are worked out once (OFFSET 0 keeps them from being inlined into the per-bucket test).
    return f"""
        SELECT {values}
        FROM (SELECT {ranks} OFFSET 0) AS k,
             (SELECT {value} / t.n AS v, sum(t.n) OVER w - t.n AS below, sum(t.n) OVER w AS upto
              FROM {table} t WHERE t.dimension = c.dimension AND t.group_id = c.group_id AND t.n > 0 AND {where}
              WINDOW w AS (ORDER BY {order})) AS r
        WHERE {" OR ".join(f"({holds(rank)})" for rank in names)}"""


# The rows of every group to estimate (stats_estimate): events (closed), and the censored (merged
# duplicates at their merge, open reports at their age at :at), each bucket a row at its mean time.
SURVIVAL_ROWS = """
    SELECT x.dimension, x.group_id, i.t, i.d, i.censored FROM stats_estimate x CROSS JOIN LATERAL (
        SELECT array_agg(t) AS t, array_agg(d) AS d, array_agg(censored) AS censored FROM (
        SELECT h.seconds / h.n AS t, h.n AS d, 0 AS censored FROM stats_histogram h
        WHERE h.dimension = x.dimension AND h.group_id = x.group_id AND h.measure = 'close' AND h.n > 0
        UNION ALL
        SELECT h.seconds / h.n, 0, h.n FROM stats_histogram h
        WHERE h.dimension = x.dimension AND h.group_id = x.group_id AND h.measure = 'merge' AND h.n > 0
        UNION ALL
        SELECT date_part('epoch', CAST(%(at)s AS timestamptz)) - o.created_sum / o.n, 0, o.n FROM stats_open o
        WHERE o.dimension = x.dimension AND o.group_id = x.group_id AND o.n > 0) AS u
    ) AS i
"""
KM_TABLE = """
    CREATE TEMP TABLE stats_km (dimension text, group_id int, p50 float8, p50_low float8, p50_high float8,
                                p90 float8, at timestamptz, PRIMARY KEY (dimension, group_id)) ON COMMIT DROP
"""
# The groups recomputed but not estimated again keep the estimates they had.
KEPT_ESTIMATES = """
    INSERT INTO stats_km
    SELECT r.dimension, r.group_id, r.km_p50, r.km_p50_low, r.km_p50_high, r.km_p90, r.km_at
    FROM stats_result r JOIN stats_dirty d ON d.dimension = r.dimension AND d.group_id = r.group_id
    WHERE NOT EXISTS (SELECT 1 FROM stats_estimate e WHERE e.dimension = d.dimension AND e.group_id = d.group_id)
"""


def _estimate_survival(at: datetime) -> None:
    """The Kaplan-Meier estimates of every group in stats_estimate, into stats_km (survival.estimate()).

    Worked out in Python over the groups' rows, read in one statement: the running products over a
    thousand buckets a group cost PostgreSQL's window functions several times what numpy takes.
    """
    _execute(KM_TABLE)
    made = []
    for dimension, group_id, t, d, censored in dbapi.rows(SURVIVAL_ROWS, {"at": at}):
        found = survival.estimate(t or [], d or [], censored or [])
        made.append({"dimension": dimension, "group_id": group_id, "p50": found.p50, "p50_low": found.p50_low,
                     "p50_high": found.p50_high, "p90": found.p90, "at": at})
    if made:
        db.session.execute(text("INSERT INTO stats_km VALUES (:dimension, :group_id, :p50, :p50_low, :p50_high, "
                                ":p90, :at)"), made)
    _execute(KEPT_ESTIMATES)


RESULTS = f"""
    DELETE FROM stats_result r USING stats_dirty d WHERE r.dimension = d.dimension AND r.group_id = d.group_id;
    INSERT INTO stats_result (dimension, group_id, reports, acknowledged, closed, open, on_time, judged,
                              ack_p50, ack_p90, close_p50, close_p90, open_created_p50, answered, confirmed,
                              reopened, close_mean, km_p50, km_p50_low, km_p50_high, km_p90, km_at)
    SELECT c.dimension, c.group_id, c.reports, c.acknowledged, c.closed, c.open, c.on_time, c.closed + c.overdue,
           ack.p50, ack.p90, close.p50, close.p90,
           CASE WHEN c.dimension NOT IN ('week', 'month') THEN open.p50 END, c.answered, c.confirmed, c.reopened,
           (SELECT sum(h.seconds) / nullif(sum(h.n), 0) FROM stats_histogram h
            WHERE h.dimension = c.dimension AND h.group_id = c.group_id AND h.measure = 'close'),
           km.p50, km.p50_low, km.p50_high, km.p90, km.at
    FROM stats_dirty d
    LEFT JOIN stats_km km ON km.dimension = d.dimension AND km.group_id = d.group_id
    JOIN stats_count c ON c.dimension = d.dimension AND c.group_id = d.group_id
    CROSS JOIN LATERAL ({_percentiles("stats_histogram", "t.measure = 'acknowledge'", "c.acknowledged",
                                      "t.bucket", "t.seconds")}) AS ack
    CROSS JOIN LATERAL ({_percentiles("stats_histogram", "t.measure = 'close'", "c.closed", "t.bucket",
                                      "t.seconds")}) AS close
    CROSS JOIN LATERAL ({_percentiles("stats_open", "true", "c.open", "t.bucket << t.tier", "t.created_sum",
                                      ps=(0.5,))}) AS open
    ORDER BY c.dimension, c.group_id
"""


@dataclass(frozen=True)
class Fold:
    """What one fold did: from when to when, and how many rows of each kind it added in."""

    before: datetime | None
    after: datetime
    recorded: int = 0  # change rows the trigger recorded (two for an update)
    expired: int = 0  # reports that left the 365-day window
    became_due: int = 0  # open reports whose due time came
    groups: int = 0  # groups whose figures were recomputed
    rebuilt: bool = False


def fold(now: datetime | None = None) -> Fold:
    """Bring the rollups up to `now` (the transaction's time): recorded changes, then time passing."""
    session = db.session
    before = session.execute(text("SELECT folded_at FROM stats_state WHERE id = 1 FOR UPDATE")).scalar_one()
    after = session.execute(text("SELECT greatest(CAST(:before AS timestamptz), coalesce(:now, now()))"),
                            {"before": before, "now": now}).scalar_one()
    if before is None:
        return rebuild(after)
    _hold_changes()
    _execute(WORK_TABLES)
    _execute(CHANGE_TABLE)
    times = {"before": before, "after": after}
    recorded = session.execute(text(RECORDED), times).rowcount
    expired = session.execute(text(EXPIRED), times).rowcount
    became_due = session.execute(text(BECAME_DUE), times).rowcount
    _add(CHANGES, before)
    _execute(TOUCHED.format(source=CHANGES))
    _execute(WIDEN, {"at_minute": _minute(after)})
    _execute(CHOOSE_ESTIMATES)
    _execute("ANALYZE stats_dirty; ANALYZE stats_emptied_histogram; ANALYZE stats_emptied_open")
    _execute(EMPTIED)
    groups = session.execute(text("SELECT count(*) FROM stats_dirty")).scalar_one()
    _estimate_survival(after)
    _execute(RESULTS)
    _execute("DROP TABLE stats_km; DROP TABLE stats_estimate")
    session.execute(text("UPDATE stats_state SET folded_at = :after WHERE id = 1"), times)
    _execute("DROP TABLE stats_change")
    _drop_work_tables()
    return Fold(before, after, recorded, expired, became_due, groups)


def rebuild(now: datetime | None = None) -> Fold:
    """Build the rollups afresh from the reports, in bulk: after a bulk load, or the first time."""
    session = db.session
    before = session.execute(text("SELECT folded_at FROM stats_state WHERE id = 1 FOR UPDATE")).scalar_one()
    at = now or session.execute(text("SELECT now()")).scalar_one()
    _hold_changes()
    _execute("SET LOCAL work_mem = '1GB'")  # a year's groups hashed in memory (about 150 MB), not sorted on disk
    _execute("""
        DELETE FROM stats_delta; DELETE FROM stats_count; DELETE FROM stats_histogram; DELETE FROM stats_open;
        DELETE FROM stats_neighbourhood_category; DELETE FROM stats_result
    """)
    _execute(WORK_TABLES)
    _add(ALL_REPORTS, at)
    _execute("INSERT INTO stats_dirty SELECT dimension, group_id, true FROM stats_count")
    groups = session.execute(text("SELECT count(*) FROM stats_dirty")).scalar_one()
    _execute(ALL_ESTIMATES)
    _estimate_survival(at)
    _execute(RESULTS)
    _execute("DROP TABLE stats_km; DROP TABLE stats_estimate")
    session.execute(text("UPDATE stats_state SET folded_at = :at WHERE id = 1"), {"at": at})
    _drop_work_tables()
    return Fold(before, at, groups=groups, rebuilt=True)


@contextmanager
def unrecorded():
    """Report changes made inside are not recorded, for a bulk load that calls rebuild() afterwards."""
    _execute("SET LOCAL seeclick.stats_deltas = off")
    try:
        yield
    finally:
        _execute("SET LOCAL seeclick.stats_deltas = on")


def _add(source: str, at: datetime) -> None:
    """Add the changes in `source` into counters and histograms, with their figures evaluated at `at`."""
    params = {"at": at, "at_minute": _minute(at)}
    _execute(COUNTS.format(source=source), params)
    for measure, seconds in MEASURES.items():
        _execute(HISTOGRAM.format(source=source, seconds=seconds), {**params, "measure": measure})
    _execute(OPEN.format(source=source), params)
    _execute(NEIGHBOURHOOD_CATEGORY.format(source=source), params)


def _hold_changes() -> None:
    """Outside one snapshot, stop report changes from being recorded until this transaction ends."""
    isolation = db.session.execute(text("SELECT current_setting('transaction_isolation')")).scalar_one()
    if isolation == "read committed":
        _execute("LOCK TABLE stats_delta IN EXCLUSIVE MODE")


def _drop_work_tables() -> None:
    _execute("DROP TABLE stats_dirty; DROP TABLE stats_emptied_histogram; DROP TABLE stats_emptied_open")


def _minute(at: datetime) -> int:
    return int(at.timestamp() // 60)


def _execute(statements: str, params: dict | None = None) -> None:
    for statement in statements.split(";"):
        if statement.strip():
            db.session.execute(text(statement), params or {})
