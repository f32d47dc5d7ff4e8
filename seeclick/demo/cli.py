"""`flask demo ...`: the demo city and generated reports."""

import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from seeclick.addresses import queries as address_queries
from seeclick.demo import data_build, generate, services
from seeclick.extensions import db
from seeclick.publicmap import queries as map_counts
from seeclick.stats import services as stats


def progress_bar(iterable, label):
    items = list(iterable)
    with click.progressbar(items, label=f"  {label:<24}") as bar:
        yield from bar


def positive(ctx, param, value):
    if value is not None and value < 0:
        raise click.BadParameter("must be zero or more")
    return value


@click.group(help="The demo city (New York) and generated reports.")
def demo():
    pass


@demo.command("load")
@click.option("--reports", default=20_000, show_default=True, callback=positive,
              help="How many generated reports to add.")
@click.option("--seed", default=311, show_default=True, help="Random seed for the generated reports.")
@click.option("--replace", is_flag=True, help="Remove the existing city (and all its reports) first.")
@click.option("--if-empty", is_flag=True, help="Do nothing when a city is already loaded.")
@with_appcontext
def load(reports, seed, replace, if_empty):
    """Load New York City: departments, categories, service areas, neighbourhoods and reports."""
    if if_empty and services.is_loaded():
        if not address_queries.count():  # a city loaded before the address search came: its places, once
            click.echo(f"demo city already loaded; added {services.load_places():,} places to the address search")
            db.session.commit()
            return
        click.echo("demo city already loaded")
        return
    started = time.perf_counter()
    try:
        result = services.load_city(progress=progress_bar, replace=replace)
        generated = generate.generate(reports, seed=seed) if reports else None
        stats.fold()  # the dashboard and the map show them at once, not a minute later
        map_counts.fold()
        db.session.commit()
    except services.CityAlreadyLoaded as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except BaseException:
        db.session.rollback()
        raise
    click.echo(
        f"loaded {result.departments} departments, {result.categories} categories, "
        f"{result.service_areas} service areas, {result.neighbourhoods} neighbourhoods"
        + (f", {generated.inserted:,} reports" if generated else "")
        + f" in {time.perf_counter() - started:.1f}s"
    )


@demo.command("generate")
@click.argument("count", type=click.IntRange(min=1))
@click.option("--seed", default=311, show_default=True)
@click.option("--days", default=365, show_default=True, type=click.IntRange(min=1),
              help="Spread the reports over this many days before now.")
@click.option("--bad-share", default=0.002, show_default=True, type=click.FloatRange(0, 1),
              help="Share of rows given impossible timestamps, which validation must reject.")
@with_appcontext
def generate_reports(count, seed, days, bad_share):
    """Add COUNT generated reports, routed like real ones (COPY, fast enough for a million)."""
    started = time.perf_counter()
    bar = click.progressbar(length=count, label="  reports", file=sys.stderr,
                            show_pos=True, show_eta=True)
    drawn = []

    def advance(n):
        drawn.append(n)
        bar.update(n)

    try:
        def progress(message):
            if drawn and drawn[-1]:  # the bar's line is finished before the next message
                bar.render_finish()
                drawn.append(0)
            click.echo(f"  {time.perf_counter() - started:5.1f}s  {message}")

        result = generate.generate(count, seed=seed, days=days, bad_share=bad_share, progress=progress,
                                   advance=advance)
        progress("bringing the statistics up to date")
        stats.fold()
        map_counts.fold()
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except BaseException:
        db.session.rollback()
        raise
    elapsed = time.perf_counter() - started
    click.echo(f"inserted {result.inserted:,} reports and {result.updates:,} updates in {elapsed:.1f}s "
               f"({result.inserted / elapsed:,.0f} reports/s)")
    rejected = sum(result.rejected.values())
    if rejected:
        reasons = ", ".join(f"{why}: {n}" for why, n in sorted(result.rejected.items()) if n)
        click.echo(f"rejected {rejected} rows with impossible timestamps ({reasons})")


@demo.command("build-data")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def build_data(source):
    """Rebuild the shipped, simplified demo data from the full open-data files in SOURCE."""
    for name, size in data_build.build(source):
        click.echo(f"{name}: {size / 1024:,.0f} KiB")
