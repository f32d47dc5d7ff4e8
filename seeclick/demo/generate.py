"""Generate realistic reports fast enough for benchmarks (COPY, not ORM inserts).

Locations are the real tax-lot points with a few metres of jitter, so density is a real city's.
Each location is routed in SQL with the same rule as routing.decide (ROUTE_TABLE); categories,
open/closed shares and close times follow NYC 311's shape: a median close of about three days
overall with a long tail, quick police and heat complaints, slow sidewalks. A small share of rows
carries the impossible timestamps that real 311 exports contain; validation rejects and counts them.
"""

import csv
import gzip
import io
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from seeclick.categories.models import Category
from seeclick.demo.city import CATEGORIES, TIMEZONE
from seeclick.demo.services import DATA
from seeclick.extensions import db
from seeclick.publicmap import queries as map_counts
from seeclick.reports.models import Status
from seeclick.routing.queries import ROUTE_TABLE
from seeclick.stats import services as stats

HOUR = np.timedelta64(3600, "s")
# Reports drawn, formatted and copied at a time: what bounds the memory a run takes.
CHUNK = 100_000
JITTER_METRES = 8.0
VARIANTS_PER_LOT = 3
# Of closed reports: how they were closed.
RESOLUTIONS = ((Status.FIXED, 0.78), (Status.NOT_FIXABLE, 0.08), (Status.DUPLICATE, 0.09), (Status.NOT_OURS, 0.05))
CHANNELS = (("phone", 0.45), ("web", 0.35), ("open311", 0.15), ("email", 0.05))
# Of the reports closed as fixed, the share whose reporter answered "was it fixed?", and of those who said yes.
ANSWERED_SHARE, FIXED_SAYS_YES = 0.35, 0.82
# When in the day people report (hour 0-23), a city's daily rhythm.
HOURLY = np.array([2, 1.5, 1, 0.8, 0.7, 1, 2, 3.5, 5, 6, 6.5, 6.5, 6.5, 6.5, 6, 6, 6, 6, 6, 5.5, 5, 4.5, 4, 3])
ACKNOWLEDGEMENT = "We have received this and will look at it."
CLOSING_NOTES = {
    Status.FIXED: "The problem has been fixed.",
    Status.NOT_FIXABLE: "We inspected and cannot fix this: it is on private property.",
    Status.DUPLICATE: "This was already reported; we are working on the earlier report.",
    Status.NOT_OURS: "This is not ours to fix; it was passed to NYC 311 for the responsible agency.",
}


@dataclass
class GenerateResult:
    inserted: int = 0
    updates: int = 0
    rejected: Counter = field(default_factory=Counter)


def load_taxlots() -> np.ndarray:
    """The shipped tax-lot points as an array of (lon, lat)."""
    with gzip.open(DATA / "taxlots.csv.gz", "rt") as f:
        rows = list(csv.DictReader(f))
    return np.array([(float(r["longitude"]), float(r["latitude"])) for r in rows])


def jittered(points: np.ndarray, rng: np.random.Generator, variants: int = VARIANTS_PER_LOT) -> np.ndarray:
    base = np.repeat(points, variants, axis=0)
    metres = rng.normal(0, JITTER_METRES, size=base.shape)
    lat_scale = 1 / 111_320
    lon_scale = lat_scale / np.cos(np.radians(base[:, 1]))
    return base + metres * np.column_stack([lon_scale, np.full(len(base), lat_scale)])


def route_locations(locations: np.ndarray, category_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Department for every (location, category) as a matrix (-1 where not served), and each neighbourhood."""
    conn = db.session.connection()
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE gen_location (id int PRIMARY KEY, geom geometry(Point, 4326)) ON COMMIT DROP")
        buffer = io.StringIO("".join(f"{i}\tSRID=4326;POINT({x:.7f} {y:.7f})\n" for i, (x, y) in enumerate(locations)))
        cur.copy_expert("COPY gen_location (id, geom) FROM STDIN", buffer)
        cur.execute("CREATE INDEX ON gen_location USING gist (geom); ANALYZE gen_location")
        # -1 where a category is not served at a place (no local department and no fallback).
        cur.execute(f"SELECT location_id, category_id, COALESCE(department_id, -1) "
                    f"FROM ({ROUTE_TABLE.format(table='gen_location')}) routed")
        routed = np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 3)
        cur.execute("""
            SELECT DISTINCT ON (l.id) l.id, n.id FROM gen_location l
            JOIN neighbourhood n ON ST_Intersects(n.geom, l.geom) ORDER BY l.id, n.id
        """)
        hoods = np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 2)
        cur.execute("DROP TABLE gen_location")
    column = {cid: i for i, cid in enumerate(category_ids)}
    matrix = np.full((len(locations), len(category_ids)), -1, dtype=np.int64)
    for location_id, category_id, department_id in routed:
        if category_id in column:
            matrix[location_id, column[category_id]] = department_id
    neighbourhood = np.full(len(locations), -1, dtype=np.int64)
    neighbourhood[hoods[:, 0]] = hoods[:, 1]
    return matrix, neighbourhood


def generate(count: int, seed: int = 311, days: int = 365, bad_share: float = 0.002, now: datetime | None = None,
             progress: Callable[[str], None] = lambda message: None, bulk_minimum: int = 50_000,
             advance: Callable[[int], None] = lambda drawn: None) -> GenerateResult:
    """Insert `count` generated reports (fewer by the rejected rows) with their status updates.

    Reports are drawn, formatted and copied CHUNK at a time, so memory stays flat whatever the count
    (20 million reports build in the same few hundred megabytes as one million); `advance` is told how
    many were drawn after each chunk is written.
    """
    rng = np.random.default_rng(seed)
    now = now or datetime.now(UTC)
    categories = {c.code: c for c in db.session.scalars(select(Category).where(Category.active))}
    specs = [s for s in CATEGORIES if s.code in categories]
    if not specs:
        raise ValueError("No demo categories: load the demo city first (flask demo load).")
    category_ids = [categories[s.code].id for s in specs]

    progress("routing locations")
    locations = jittered(load_taxlots(), rng)
    # Routing costs per location: a small run needs no more places than it has reports.
    wanted = min(len(locations), max(1000, int(count * 1.5)))
    if wanted < len(locations):
        locations = locations[rng.choice(len(locations), size=wanted, replace=False)]
    departments, neighbourhoods = route_locations(locations, category_ids)
    city = _City(specs, category_ids, locations, departments, neighbourhoods)

    progress(f"writing {count:,} reports")
    result = GenerateResult()
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cur:
        # Every closed report has one or two updates: the report count is a floor for theirs.
        with bulk_load(cur, "report", count, progress, bulk_minimum) as bulk, \
                bulk_load(cur, "report_update", count, progress, bulk_minimum), \
                (stats.unrecorded() if bulk else nullcontext()), \
                (map_counts.paused(cur) if bulk else nullcontext()):
            # In bulk, the statistics and the map's counts are rebuilt once afterwards, not told of each report.
            for start in range(0, count, CHUNK):
                size = min(CHUNK, count - start)
                inserted, updates = _copy_chunk(cur, _draw(rng, size, city, now, days, bad_share, result.rejected))
                result.inserted += inserted
                result.updates += updates
                advance(size)
        progress("analyzing")
        cur.execute("ANALYZE report; ANALYZE report_update")
    if bulk:
        progress("building the statistics")
        stats.rebuild()
        progress("counting the map's cells")
        map_counts.rebuild()
    return result


@dataclass
class _City:
    """What every chunk draws from: the categories, and the routed locations."""

    specs: list
    category_ids: list[int]
    locations: np.ndarray
    departments: np.ndarray  # (location, category) -> department id, -1 where not served
    neighbourhoods: np.ndarray  # location -> neighbourhood id, -1 outside every one


def _served(rng, size: int, city: _City) -> tuple[np.ndarray, np.ndarray]:
    """`size` (location, category) pairs drawn where the category is served there."""
    weights = np.array([s.weight for s in city.specs])
    weights = weights / weights.sum()
    found, have = [], 0
    while have < size:
        draw = int((size - have) * 1.3) + 100
        loc = rng.integers(0, len(city.locations), size=draw)
        cat = rng.choice(len(city.specs), size=draw, p=weights)
        keep = city.departments[loc, cat] >= 0
        if not keep.any():  # nothing served anywhere: fewer reports rather than no end
            break
        found.append((loc[keep], cat[keep]))
        have += int(keep.sum())
    loc = np.concatenate([loc for loc, _ in found] or [np.zeros(0, np.int64)])[:size]
    cat = np.concatenate([cat for _, cat in found] or [np.zeros(0, np.int64)])[:size]
    return loc, cat


def _draw(rng, size: int, city: _City, now: datetime, days: int, bad_share: float, rejected: Counter) -> dict:
    """One chunk of reports: each column as an array, the rows with impossible timestamps left out."""
    now64 = np.datetime64(now.astimezone(UTC).replace(tzinfo=None), "s")
    specs = city.specs
    loc, cat = _served(rng, size, city)
    dept = city.departments[loc, cat]
    n = len(loc)

    created = _creation_times(rng, n, now, days)

    median = np.array([s.median_close_hours for s in specs])[cat]
    close_hours = median * rng.lognormal(0.2, 1.3, size=n)  # overall median about 3 days, mean about 12
    ack_hours = np.minimum(np.maximum(median, 1) * 0.15 * rng.lognormal(0.0, 1.0, size=n), close_hours)
    closed_at = created + (close_hours * 3600).astype("timedelta64[s]")
    acknowledged_at = created + (ack_hours * 3600).astype("timedelta64[s]")
    closes = rng.random(n) < np.array([s.closed_share for s in specs])[cat]
    is_closed = closes & (closed_at <= now64)
    # A fifth of quick closures skip an explicit acknowledgement: closing answers the report.
    skip_ack = is_closed & (rng.random(n) < 0.2)
    is_acked = (acknowledged_at <= now64) & ~skip_ack
    nat = np.datetime64("NaT")
    closed_at = np.where(is_closed, closed_at, nat)
    acknowledged_at = np.where(is_acked, acknowledged_at, nat)
    acknowledged_at = np.where(skip_ack, closed_at, acknowledged_at)

    resolution = rng.choice(len(RESOLUTIONS), size=n, p=[p for _, p in RESOLUTIONS])
    status = np.where(
        is_closed, np.array([s.value for s, _ in RESOLUTIONS], dtype=object)[resolution],
        np.where(is_acked, Status.ACKNOWLEDGED.value, Status.NEW.value),
    )
    sla = np.array([s.sla_hours for s in specs])[cat]
    due_at = created + (sla * 3600).astype("timedelta64[s]")

    # Real exports contain impossible timestamps; put some in so that validation has work to do.
    bad = rng.random(n) < bad_share
    kind = rng.integers(0, 3, size=n)
    closed_at = np.where(bad & (kind == 0) & is_closed, created - np.timedelta64(5, "D"), closed_at)
    created = np.where(bad & (kind == 1), created + np.timedelta64(1000 * 365, "D"), created)
    acknowledged_at = np.where(bad & (kind == 2) & is_acked, created - np.timedelta64(2, "h"), acknowledged_at)

    valid = validate_times(created, acknowledged_at, closed_at, now64, rejected)
    idx = np.flatnonzero(valid)
    channel = rng.choice([c for c, _ in CHANNELS], size=len(idx), p=[p for _, p in CHANNELS])
    # "Was it fixed?": about a third of the reporters of fixed reports answer, most of them yes.
    asked = rng.random(len(idx))
    points = city.locations[loc[idx]]
    return {
        "category": np.array(city.category_ids)[cat[idx]], "department": dept[idx],
        "neighbourhood": city.neighbourhoods[loc[idx]], "lon": points[:, 0], "lat": points[:, 1],
        "status": status[idx], "channel": channel, "created": created[idx], "due": due_at[idx],
        "acknowledged": acknowledged_at[idx], "closed": closed_at[idx], "asked": asked,
    }


def _creation_times(rng, n: int, now: datetime, days: int) -> np.ndarray:
    """UTC creation times over the last `days` days, following the city's local daily rhythm."""
    zone = ZoneInfo(TIMEZONE)
    today = now.astimezone(zone).date()
    local_day = np.datetime64(today, "D") - rng.integers(0, days + 1, size=n).astype("timedelta64[D]")
    hour = rng.choice(24, size=n, p=HOURLY / HOURLY.sum())
    second = rng.integers(0, 3600, size=n)
    local = local_day.astype("datetime64[s]") + hour * HOUR + second.astype("timedelta64[s]")
    # Local wall time to UTC, with each day's own offset (daylight saving changes twice a year).
    dates, which = np.unique(local_day, return_inverse=True)
    offsets = np.array([datetime.combine(d.astype(object), time(12), zone).utcoffset().total_seconds()
                        for d in dates]).astype("timedelta64[s]")
    created = local - offsets[which]
    # A time later today than now moves to the same hour a week before: the rhythm stays, nothing is ahead.
    now64 = np.datetime64(now.astimezone(UTC).replace(tzinfo=None), "s")
    return np.where(created >= now64, created - np.timedelta64(7, "D"), created)


def validate_times(created, acknowledged, closed, now64, rejected: Counter) -> np.ndarray:
    """Mask of rows whose timestamps are possible; counts each kind of impossibility in rejected."""
    # Each rejected row is counted once, under the first reason that applies.
    future = created > now64 + np.timedelta64(1, "D")
    closed_before = ~future & ~np.isnat(closed) & (closed < created)
    acked_before = ~future & ~closed_before & ~np.isnat(acknowledged) & (acknowledged < created)
    for name, mask in (("created in the future", future), ("closed before created", closed_before),
                       ("acknowledged before created", acked_before)):
        rejected[name] += int(mask.sum())
    return ~(future | closed_before | acked_before)


@contextmanager
def bulk_load(cur, table: str, rows: int, progress: Callable[[str], None], minimum: int = 50_000):
    """Load a large batch without per-row index and foreign-key upkeep, then rebuild them.

    For a batch at least as large as the table, building an index once (PostGIS sorts points for
    GiST) and checking foreign keys in one join is several times faster than doing it row by row.
    Primary and unique keys stay; yields whether it took this path. Everything happens in the
    caller's transaction: other sessions never see the table without its indexes, and a failure
    leaves it as it was. They do wait: dropping an index locks the table until the commit (and
    re-checking foreign keys holds the referenced tables against writes), which is why this is for
    loading demo and benchmark databases, not a city in service.
    """
    cur.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (table,))
    if rows < minimum or rows < cur.fetchone()[0]:
        yield False
        return
    cur.execute("""
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
        WHERE indrelid = %s::regclass AND NOT indisprimary AND NOT indisunique
    """, (table,))
    indexes = cur.fetchall()
    cur.execute("""
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype = 'f'
    """, (table,))
    foreign_keys = cur.fetchall()
    for name, _ in foreign_keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    yield True
    progress(f"rebuilding {len(indexes)} indexes and checking {len(foreign_keys)} foreign keys of {table}")
    for _, definition in indexes:
        cur.execute(definition)
    for name, definition in foreign_keys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _stamp(values: np.ndarray) -> np.ndarray:
    text = np.datetime_as_string(values, unit="s").astype(object)
    return np.where(np.isnat(values), "\\N", text + "+00")


REPORT_COPY = ("COPY report (id, category_id, department_id, neighbourhood_id, location, status, channel, "
               "created_at, due_at, acknowledged_at, closed_at, updated_at, fix_confirmed) FROM STDIN")
UPDATE_COPY = "COPY report_update (report_id, kind, public, old_status, new_status, body, created_at) FROM STDIN"


def _copy_chunk(cur, rows: dict) -> tuple[int, int]:
    """COPY one drawn chunk into report and its events into report_update; how many of each."""
    n = len(rows["status"])
    if not n:
        return 0, 0
    cur.execute("SELECT array_agg(nextval('report_id_seq')) FROM generate_series(1, %s)", (n,))
    ids = cur.fetchone()[0]
    hoods = rows["neighbourhood"].astype(object)
    hoods[hoods < 0] = "\\N"
    created_s, ack_s, closed_s = _stamp(rows["created"]), _stamp(rows["acknowledged"]), _stamp(rows["closed"])
    updated_s = np.where(closed_s != "\\N", closed_s, np.where(ack_s != "\\N", ack_s, created_s))
    st = rows["status"]
    asked = rows["asked"]
    confirmed = np.where(st != Status.FIXED.value, "\\N",
                         np.where(asked < ANSWERED_SHARE * FIXED_SAYS_YES, "t",
                                  np.where(asked < ANSWERED_SHARE, "f", "\\N")))
    columns = (ids, rows["category"].tolist(), rows["department"].tolist(), hoods.tolist(), rows["lon"].tolist(),
               rows["lat"].tolist(), st.tolist(), rows["channel"].tolist(), created_s.tolist(),
               _stamp(rows["due"]).tolist(), ack_s.tolist(), closed_s.tolist(), updated_s.tolist(),
               confirmed.tolist())
    cur.copy_expert(REPORT_COPY, io.BytesIO("".join([
        f"{i}\t{c}\t{d}\t{h}\tSRID=4326;POINT({x:.7f} {y:.7f})\t{s}\t{ch}\t{cr}\t{du}\t{a}\t{cl}\t{up}\t{cf}\n"
        for i, c, d, h, x, y, s, ch, cr, du, a, cl, up, cf in zip(*columns, strict=True)
    ]).encode()))
    # The event log: an acknowledgement (when there was one before closing) and the closing.
    updates = []
    for i, s, a, cl in zip(ids, columns[6], columns[10], columns[11], strict=True):
        acknowledged = a != "\\N" and a != cl
        if acknowledged:
            updates.append(f"{i}\tstatus\tt\tnew\tacknowledged\t{ACKNOWLEDGEMENT}\t{a}\n")
        if cl != "\\N":
            previous = "acknowledged" if acknowledged else "new"
            updates.append(f"{i}\tstatus\tt\t{previous}\t{s}\t{CLOSING_NOTES[Status(s)]}\t{cl}\n")
    cur.copy_expert(UPDATE_COPY, io.BytesIO("".join(updates).encode()))
    return n, len(updates)
