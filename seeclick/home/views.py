"""The home page: the city and its neighbourhoods."""

from flask import Blueprint, current_app, render_template

from seeclick import maps
from seeclick.extensions import db
from seeclick.home import queries
from seeclick.neighbourhoods import queries as neighbourhoods

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """Show the city on a map with its neighbourhoods and what the service covers."""
    summary = queries.city_summary()
    # Drawn again as often as the outlines are read again (boundaries change only when re-imported).
    map_parts = maps.renewed_parts(("city", db.engine.url.render_as_string()),
                                   lambda: maps.city_map(neighbourhoods.outlines()),
                                   seconds=neighbourhoods.OUTLINES_SECONDS)
    return render_template("home/index.html", summary=summary, map=map_parts, city=current_app.config["CITY_NAME"])


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement: what works, the known limits, and how to report a barrier."""
    return render_template("home/accessibility.html", city=current_app.config["CITY_NAME"],
                           contact=current_app.config["ACCESSIBILITY_CONTACT"])
