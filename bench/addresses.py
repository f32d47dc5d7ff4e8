"""Address suggestions with a million addresses: p95 through the app beside the same SQL on the driver.

    .venv/bin/python bench/addresses.py [--addresses N] [--queries Q] [--keep]

A scratch database of its own (seeclick_bench_addresses, in the same cluster) is migrated and gets N
generated New York-like addresses (numbered and named streets in the five boroughs, at real tax-lot
points with jitter), written as an OpenAddresses CSV and imported the way `flask addresses import`
does (timed: reading and checking, then the COPY and the index builds). Then Q queries, each what a
person has typed so far of a random address ("245 eastern p", "w 86", "11238"), go to
/addresses/suggest through the application (test client: routing, the view, JSON) and, interleaved
in random order, the identical statement with the same parameters on a bare psycopg2 connection
(the floor). Goal: p95 under 20 ms through the app.
"""

import argparse
import csv
import gzip
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg2  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.common import percentile  # noqa: E402
from seeclick import create_app  # noqa: E402
from seeclick.addresses import queries, readers, services  # noqa: E402
from seeclick.demo.generate import load_taxlots  # noqa: E402
from seeclick.extensions import db  # noqa: E402

SCRATCH = "seeclick_bench_addresses"
DATA = Path(__file__).resolve().parent.parent / "seeclick" / "demo" / "data"
BOROUGHS = {"MN": "New York", "BK": "Brooklyn", "QN": "Queens", "BX": "Bronx", "SI": "Staten Island"}
ZIP_BOROUGH = {"Manhattan": "MN", "Brooklyn": "BK", "Queens": "QN", "Bronx": "BX", "Staten Island": "SI"}
NAMES = """Adams Bedford Nostrand Flatbush Atlantic Eastern Ocean Kings Linden Church Court Clinton Fulton Myrtle
Dekalb Lafayette Greene Gates Putnam Jefferson Madison Monroe Hancock Halsey Macon Decatur Bainbridge Chauncey
Marion Sumner Lewis Stuyvesant Throop Tompkins Marcy Nostrand Rogers Bedford Franklin Classon Washington Vanderbilt
Carlton Cumberland Adelphi Clermont Waverly Grand Broadway Amsterdam Columbus Lexington Park Madison Riverside
Central Hudson Bleecker Canal Houston Delancey Essex Ludlow Orchard Allen Eldridge Forsyth Chrystie Bowery Mott
Mulberry Elizabeth Lafayette Crosby Greene Mercer Wooster Thompson Sullivan Macdougal Bedford Barrow Commerce
Morton Leroy Clarkson Charlton Vandam Spring Prince Broome Grand Hester Walker White Franklin Leonard Worth
Duane Reade Chambers Warren Murray Vesey Fulton Dey Cortlandt Liberty Cedar Rector Pine Wall Beaver Stone Pearl
Water Front South Gold Cliff William Nassau Ann Beekman Spruce Frankfort Dover Roosevelt Madison Henry Market
Jackson Northern Astoria Ditmars Steinway Vernon Jackson Queens Hillside Jamaica Liberty Rockaway Woodhaven
Metropolitan Myrtle Cypress Forest Wyckoff Knickerbocker Irving Cornelia Jefferson Troutman Starr Suydam
Grand Concourse Jerome Webster Tremont Fordham Kingsbridge Mosholu Gun Hill Boston Pelham Westchester Bruckner
Castle Hill Soundview Story Lafayette Hunts Point Southern Prospect Intervale Longwood Simpson Hoe Bryant
Victory Hylan Richmond Forest Bay Targee Vanderbilt Tompkins Van Duzer Castleton Jewett Clove Todt Arthur
Kill""".split()
SUFFIXES = ("Street", "Avenue", "Place", "Road", "Boulevard", "Court", "Lane", "Terrace", "Parkway", "Drive")


def streets(rng):
    """(street, borough code) pairs: the numbered streets and avenues, and many named ones in each borough."""
    found = []
    for n in range(1, 221):
        for side in ("East", "West"):
            found.append((f"{side} {n}{ordinal(n)} Street", "MN"))
    for code in BOROUGHS:
        for n in range(1, 120 if code in ("BK", "QN") else 40):
            found.append((f"{n}{ordinal(n)} {'Avenue' if n % 3 else 'Street'}", code))
        for name in sorted(set(NAMES)):
            for suffix in rng.sample(SUFFIXES, 4):
                found.append((f"{name} {suffix}", code))
    return found


def ordinal(n):
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def generate(count, path, rng):
    """Write `count` addresses as an OpenAddresses CSV; returns (label-like text typed, borough) samples."""
    lots = load_taxlots()
    with gzip.open(DATA / "taxlots.csv.gz", "rt") as f:
        lot_borough = [row["borough"] for row in csv.DictReader(f)]
    by_borough = {code: [i for i, b in enumerate(lot_borough) if b == code] for code in BOROUGHS}
    with gzip.open(DATA / "zip_codes.csv.gz", "rt") as f:
        zips = {}
        for row in csv.DictReader(f):
            zips.setdefault(ZIP_BOROUGH[row["borough"]], []).append(row["postcode"])
    named = streets(rng)
    per_street = -(-count // len(named))
    typed = []
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE", "ID",
                         "HASH"))
        written = 0
        for street, code in named:
            postcode = rng.choice(zips[code])
            lot = lots[rng.choice(by_borough[code])]
            for k in range(per_street):
                if written == count:
                    break
                number = str(1 + 2 * k + rng.randrange(2))
                lon, lat = lot[0] + rng.gauss(0, 0.002), lot[1] + rng.gauss(0, 0.002)
                writer.writerow((f"{lon:.7f}", f"{lat:.7f}", number, street.upper(), "", BOROUGHS[code], "", "NY",
                                 postcode, str(written), ""))
                written += 1
                if rng.random() < 0.002:
                    typed.append(f"{number} {street}")
    return typed


def typing_queries(samples, count, rng):
    """What people have typed so far: a start of an address at least 3 characters long, some in short form."""
    found = []
    for _ in range(count):
        address = rng.choice(samples)
        if rng.random() < 0.3:
            address = address.replace("Street", "St").replace("Avenue", "Ave").replace("East", "E").replace("West",
                                                                                                         "W")
        cut = rng.randint(3, len(address))
        found.append(address[:cut].rstrip() or address)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    base = create_app()
    url = make_url(base.config["SQLALCHEMY_DATABASE_URI"])
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}"'))
        conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
        conn.execute(text(f'ALTER DATABASE "{SCRATCH}" SET jit = off'))
    scratch_url = url.set(database=SCRATCH).render_as_string(False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "RATELIMIT_ENABLED": False})
    try:
        with app.app_context():
            upgrade()
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "addresses.csv"
                started = time.perf_counter()
                samples = generate(args.addresses, path, rng)
                print(f"generated {args.addresses:,} addresses in {time.perf_counter() - started:.1f}s "
                      f"({path.stat().st_size / 1e6:.0f} MB of CSV)")
                started = time.perf_counter()
                rows = readers.read(path)
                read = time.perf_counter() - started
                held = services.import_addresses(rows)
                db.session.commit()
                total = time.perf_counter() - started
                print(f"import: read and checked in {read:.1f}s, COPY and indexes in {total - read:.1f}s, "
                      f"{total:.1f}s in all; {held:,} addresses held")
                del rows
            db.session.remove()

        probes = typing_queries(samples, args.queries, rng)
        client = app.test_client()
        raw = psycopg2.connect(scratch_url.replace("postgresql+psycopg2://", "postgresql://"))
        raw.autocommit = True
        cur = raw.cursor()

        def through_app(query):
            response = client.get("/addresses/suggest", query_string={"q": query})
            assert response.status_code == 200
            return len(response.get_json()["suggestions"])

        def floor(query):
            values = queries.parameters(query)
            cur.execute(queries.statement(sum(1 for k in values if k.startswith("word"))), values)
            return len(cur.fetchall())

        for query in probes[:100]:  # warm both: plans, caches, the pages of the indexes
            through_app(query)
            floor(query)
        timings = {"app": [], "floor": []}
        found = 0
        for query in probes:
            order = [("app", through_app), ("floor", floor)]
            rng.shuffle(order)
            for name, fn in order:
                t = time.perf_counter()
                n = fn(query)
                timings[name].append(time.perf_counter() - t)
                found += n if name == "app" else 0
        raw.close()
        ms = {name: (percentile(v, 0.5) * 1e3, percentile(v, 0.95) * 1e3, percentile(v, 0.99) * 1e3)
              for name, v in timings.items()}
        print(f"{len(probes):,} queries typed so far (e.g. {probes[0]!r}, {probes[1]!r}); "
              f"{found / len(probes):.1f} suggestions on average")
        print(f"  through the app  p50 {ms['app'][0]:6.2f} ms  p95 {ms['app'][1]:6.2f} ms  p99 {ms['app'][2]:6.2f} ms")
        print(f"  SQL on the driver p50 {ms['floor'][0]:6.2f} ms  p95 {ms['floor'][1]:6.2f} ms  "
              f"p99 {ms['floor'][2]:6.2f} ms")
        print(f"  ratio app / floor at p95: {ms['app'][1] / ms['floor'][1]:.2f}   goal: app p95 < 20 ms: "
              f"{'met' if ms['app'][1] < 20 else 'MISSED'}")
    finally:
        with app.app_context():
            db.engine.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
