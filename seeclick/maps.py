"""Folium maps built as plain functions: data in, a map's page parts out."""

import functools
import html
import json
import re
from dataclasses import dataclass, replace
from types import SimpleNamespace

import branca.element
import folium
import folium.elements
import folium.features
import folium.plugins
import folium.template
import jinja2
import xyzservices
from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from seeclick import caching
from seeclick.caching import Kept

LEAFLET = "vendor/leaflet-1.9.4"

# Folium makes Jinja templates from strings on every render: each element's rendered text goes into a
# branca Element(text), which compiles the text as a template of its own (12 of them for the home page,
# one its 200 KB of neighbourhoods: a third of the page's time), and a GeoJsonTooltip compiles its style
# template each time. Here a text without Jinja's markers is not compiled at all (it renders as itself,
# line ends as Jinja writes them), and a compiled template is kept by its source: the same HTML, sooner.
_JINJA_MARKERS = ("{{", "{%", "{#")
_LINE_END = re.compile(r"\r\n|\r|\n")


class _Text:
    """What Jinja renders a template of plain text as: the text, each line end a "\\n", less the last one."""

    def __init__(self, source: str):
        lines = _LINE_END.split(source)
        if lines[-1] == "":
            del lines[-1]
        self.text = "\n".join(lines)

    def render(self, *args, **kwargs) -> str:
        return self.text


def _kept(template_class):
    """template_class(source), compiled once per source; a plain text not compiled."""
    compiled = functools.lru_cache(maxsize=256)(template_class)

    def template(source, **options):
        if options or not isinstance(source, str):
            return template_class(source, **options)
        if not any(marker in source for marker in _JINJA_MARKERS):
            return _Text(source)
        return compiled(source)

    return template


branca.element.Template = _kept(jinja2.Template)
folium.features.Template = _kept(folium.template.Template)


@dataclass(frozen=True)
class MapParts:
    """What a template places: the map's <head> links, its <div>, and its script.

    Pages keep parts for a while (the statistics, a neighbourhood); the header's inline styles and
    script get the nonce of the request that places them, not of the one that drew them.
    """

    raw_header: str
    html: Markup
    script: Markup

    @property
    def header(self) -> Markup:
        from seeclick.security import with_nonce

        return with_nonce(self.raw_header)


class ZoomControl(folium.elements.MacroElement):
    """Leaflet's zoom buttons, their titles (what a screen reader says) in the reader's language."""

    _template = folium.template.Template("""
        {% macro script(this, kwargs) %}
        L.control.zoom({{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "ZoomControl"
        self.options = {"zoomInTitle": _("Zoom in"), "zoomOutTitle": _("Zoom out")}


# Folium's header for a map, less the viewport tag it adds to every page holding one (`maximum-scale=1.0,
# user-scalable=no`: nobody could pinch to zoom, WCAG 1.4.4); base.html has the page's one viewport tag.
# The rest is Folium's own: the map's size and Leaflet's global switches.
_HEADER = folium.template.Template("""
    {% macro header(this, kwargs) %}
        <style>
            #{{ this.get_name() }} {
                position: {{this.position}};
                width: {{this.width[0]}}{{this.width[1]}};
                height: {{this.height[0]}}{{this.height[1]}};
                left: {{this.left[0]}}{{this.left[1]}};
                top: {{this.top[0]}}{{this.top[1]}};
            }
            .leaflet-container { font-size: {{this.font_size}}; }
        </style>
        <script>
            L_NO_TOUCH = {{ this.global_switches.no_touch |tojson}};
            L_DISABLE_3D = {{ this.global_switches.disable_3d|tojson }};
        </script>
    {% endmacro %}
""")


class _Macros:
    """Folium's macros for an element (header, html, script), some of them replaced by ours."""

    def __init__(self, template, **replaced):
        self.module = SimpleNamespace(**{**template.module.__dict__, **replaced})


class Map(folium.Map):
    """folium.Map as our pages hold it: its html and script Folium's, its header without the viewport tag."""

    _template = _Macros(folium.Map._template, header=_HEADER.module.header)


def base_map(center, zoom, tile_url, attribution, **options) -> folium.Map:
    """A Leaflet map that loads only our own static files; the tile server is configuration."""
    # zoomSnap 0.25: fitting a city to a phone screen should not waste half the map on whole zoom steps.
    m = Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True, zoom_snap=0.25,
            zoom_control=False, **options)
    m.default_js = [("leaflet", url_for("static", filename=f"{LEAFLET}/leaflet.js"))]
    m.default_css = [("leaflet_css", url_for("static", filename=f"{LEAFLET}/leaflet.css"))]
    folium.TileLayer(tiles=tile_provider(tile_url, attribution), attr=attribution, name="base", control=False,
                     max_zoom=19).add_to(m)
    ZoomControl().add_to(m)
    return m


@functools.lru_cache(maxsize=8)
def tile_provider(tile_url: str, attribution: str) -> xyzservices.TileProvider:
    """The configured tile server as a provider of its own: given a URL, Folium looks it up among the
    thousand providers xyzservices knows, by name, before taking it as a URL (2 ms for every map drawn)."""
    return xyzservices.TileProvider(name="base", url=tile_url, attribution=attribution)


def escaped(collection: dict) -> dict:
    """A copy whose text properties are HTML-escaped: Folium's tooltips insert them as HTML."""
    return {**collection, "features": [
        {**feature, "properties": {key: html.escape(value) if isinstance(value, str) else value
                                   for key, value in feature.get("properties", {}).items()}}
        for feature in collection.get("features", [])
    ]}


def city_base_map() -> folium.Map:
    """base_map() with the city's configured centre, zoom and tile server."""
    cfg = current_app.config
    return base_map(cfg["MAP_CENTER"], cfg["MAP_ZOOM"], cfg["TILE_URL"], cfg["TILE_ATTRIBUTION"])


def fit(m: folium.Map, collection: dict, **options) -> folium.Map:
    """Zoom the map to a FeatureCollection's extent, when it has one."""
    bounds = geojson_bounds(collection)
    if bounds:
        m.fit_bounds(bounds, **options)
    return m


def city_map(neighbourhoods_geojson: dict) -> folium.Map:
    """The city with its neighbourhoods outlined, each named on hover or focus."""
    m = city_base_map()
    folium.GeoJson(
        escaped(neighbourhoods_geojson),
        name="neighbourhoods",
        style_function=lambda feature: {"color": "#1d4ed8", "weight": 1, "fillOpacity": 0.06},
        highlight_function=lambda feature: {"weight": 3, "fillOpacity": 0.2},
        tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["", ""], labels=False),
    ).add_to(m)
    return fit(m, neighbourhoods_geojson)


def geojson_bounds(collection: dict) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a FeatureCollection, as Leaflet wants them."""
    xs, ys = [], []

    def walk(coordinates):
        if coordinates and isinstance(coordinates[0], (int, float)):
            xs.append(coordinates[0])
            ys.append(coordinates[1])
        else:
            for c in coordinates:
                walk(c)

    for feature in collection.get("features", []):
        walk(feature["geometry"]["coordinates"])
    return [[min(ys), min(xs)], [max(ys), max(xs)]] if xs else None


def parts(m: folium.Map) -> MapParts:
    """Render a map into the pieces our own templates place, instead of Folium's iframe."""
    root = m.get_root()
    root.render()
    return MapParts(
        raw_header=root.header.render(),
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
    )


# A map drawn for one request is the same for the next one that shows the same thing in the same language:
# the city's outlines, the public map's tiles for a filter, a report's place. Drawing one is most of those
# pages' time (Folium and the JSON of the outlines), so each process keeps the parts of the maps seen lately.
_drawn: Kept[MapParts] = Kept("maps' parts, by what they show and the language", limit=2000)


def kept_parts(key: tuple, draw, seconds: float | None = None) -> MapParts:
    """parts(draw()) for what `key` names in this request's language, drawn once and kept (at most `seconds`)."""
    return _drawn.get((*key, str(get_locale())), lambda: parts(draw()), seconds)


def renewed_parts(key: tuple, draw, seconds: float) -> MapParts:
    """kept_parts() drawn again every `seconds`: while one request draws the new one, the others are shown
    the last (never one more than a period older), rather than waiting for a slow drawing (the city's
    outlines take about a second to simplify and draw)."""
    period = int(caching.clock() // seconds)
    family = (*key, str(get_locale()))
    return _drawn.get((*family, period), lambda: parts(draw()), family=family,
                      stands_in=lambda last: last[-1] == period - 1)


class TicketLinks(folium.elements.JSCSSMixin, folium.MacroElement):
    """Each ticket's circle named on hover and opening a popup with a link to its ticket on a tap or click.

    Drawn by static/js/tickets.js (on static/js/maplinks.js) from the features' own properties, as text
    (never HTML): what the tickets say cannot become markup, and nothing is added to the page per ticket.
    """

    _template = folium.template.Template("""
        {% macro script(this, kwargs) -%}
        seeclickTickets.attach({{ this._parent.get_name() }}, {{ this.url|tojson }}, {{ this.label|tojson }});
        {%- endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "TicketLinks"
        self.url = url_for("staff.ticket", public_id="__id__")  # the script puts each ticket's number in
        self.label = _("Open the ticket")
        self.default_js = [("seeclickMapLinks", url_for("static", filename="js/maplinks.js")),
                           ("seeclickTickets", url_for("static", filename="js/tickets.js"))]


class ReportLinks(folium.elements.JSCSSMixin, folium.MacroElement):
    """Each report's circle named on hover and opening a popup with a link to its page (its `url` property).

    Drawn by static/js/maplinks.js from the features' own properties, as text (never HTML).
    """

    _template = folium.template.Template("""
        {% macro script(this, kwargs) -%}
        seeclickMapLinks.attach({{ this._parent.get_name() }}, {label: {{ this.label|tojson }}, fields: ["category"]});
        {%- endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "ReportLinks"
        self.label = _("See the report")
        self.default_js = [("seeclickMapLinks", url_for("static", filename="js/maplinks.js"))]


def tickets_map(points: dict) -> folium.Map:
    """A queue's tickets as one GeoJSON layer of circles (never a Marker object per ticket), each opening its
    ticket from a popup; the city when none."""
    m = city_base_map()
    if not points["features"]:
        return m
    layer = folium.GeoJson(
        points,  # the properties are written as text by TicketLinks' script, so they are not escaped here
        name="tickets",
        marker=folium.CircleMarker(radius=6, weight=1, fill=True, fill_opacity=0.8),  # coloured by maplinks.js
    ).add_to(m)
    TicketLinks().add_to(layer)
    return fit(m, points, max_zoom=16)


def areas_map(areas: dict) -> folium.Map:
    """A department's service areas, each named and sized on hover."""
    m = city_base_map()
    folium.GeoJson(
        escaped(areas),
        name="areas",
        style_function=lambda feature: {"color": "#047857", "weight": 2, "fillOpacity": 0.15},
        tooltip=folium.GeoJsonTooltip(fields=["name", "km2"], aliases=["", "km²"]),
    ).add_to(m)
    return fit(m, areas)


def report_form_map(where=None) -> folium.Map:
    """The city to tap or drag a pin on; the form's script places the pin (starting at `where`)."""
    cfg = current_app.config
    if where is None:
        return city_base_map()
    return base_map(where.to_leaflet(), 17, cfg["TILE_URL"], cfg["TILE_ATTRIBUTION"])


def report_form_map_parts(where=None) -> tuple[MapParts, str]:
    """The parts of report_form_map(where) and the map's name (the form's script finds the map by it), from
    the drawing kept for the city, or for any place with the stand-in's centre replaced by `where`'s."""
    key = ("report form", where is not None, current_app.config["TILE_URL"], str(get_locale()))
    drawn, name = _form_maps.get(key, lambda: _form_map_drawn(where is not None))
    return (drawn if where is None else placed_at(drawn, where)), name


_form_maps: Kept[tuple[MapParts, str]] = Kept("the report form's map, for the city and for a place", limit=50)


def _form_map_drawn(placed: bool) -> tuple[MapParts, str]:
    from seeclick.geo import LatLon

    if not placed:
        m = report_form_map()
        return parts(m), m.get_name()
    m = report_form_map(LatLon(*STAND_IN))
    return around_stand_in(m, places=1), m.get_name()


def place_map(where, approximate: bool) -> folium.Map:
    """A report's place: a pin, or a ring around the neighbourhood point when it was placed without the map."""
    cfg = current_app.config
    m = base_map(where.to_leaflet(), 17 if not approximate else 14, cfg["TILE_URL"], cfg["TILE_ATTRIBUTION"])
    if approximate:
        folium.Circle(where.to_leaflet(), radius=400, color="#1d4ed8", fill=True, fill_opacity=0.1).add_to(m)
    else:
        folium.CircleMarker(where.to_leaflet(), radius=9, color="#1d4ed8", weight=3, fill=True,
                            fill_color="#2563eb", fill_opacity=0.9).add_to(m)
    return m


# Every report's map is the same but for its place, and most reports' pages are seen once or twice: so the
# map is drawn once for each kind of place and language, around a stand-in point far from any city, and
# each report's page writes its own coordinates where the stand-in's are (the map's centre and its pin).
STAND_IN = (-12.3456789, 123.456789)


def report_map_parts(report) -> MapParts:
    """The parts of the map of a report's place (a Report), from the drawing kept for its kind of place."""
    from seeclick.geo import from_db, latlon

    return place_map_parts(latlon(from_db(report.location)), report.location_approximate)


def place_map_parts(where, approximate: bool) -> MapParts:
    """The parts of the map of a place (a LatLon): pinned, or circled when `approximate`, from the drawing kept
    for that kind of place."""
    key = ("place", approximate, current_app.config["TILE_URL"], str(get_locale()))
    return placed_at(_drawn.get(key, lambda: _stand_in_parts(approximate)), where)


def placed_at(drawn: MapParts, where) -> MapParts:
    """A map drawn around the stand-in point, with `where`'s coordinates written where the stand-in's are."""
    return replace(drawn, script=Markup(str(drawn.script).replace(json.dumps(list(STAND_IN)),
                                                                  json.dumps([where.lat, where.lon]))))


def _stand_in_parts(approximate: bool) -> MapParts:
    from seeclick.geo import LatLon

    return around_stand_in(place_map(LatLon(*STAND_IN), approximate), places=2)  # its centre and its pin


def around_stand_in(m: folium.Map, places: int) -> MapParts:
    """parts(m) of a map drawn around the stand-in point, which placed_at() moves: it must be written `places`
    times as [lat, lon] (a Folium that writes places otherwise would leave each page's map at the stand-in)."""
    drawn = parts(m)
    if drawn.script.count(json.dumps(list(STAND_IN))) != places:
        raise RuntimeError(f"a map drawn around the stand-in point no longer names it {places} times as [lat, lon]")
    return drawn


# Quicker to slower, light to dark: five classes of viridis, which people with any common colour blindness
# tell apart by lightness alone; "too few to tell" is a pale grey no class comes near.
RAMP = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]
TOO_FEW = "#eceff3"


def choropleth(outlines: dict, values: dict[str, float | None], labels: dict[str, str]) -> tuple[folium.Map, list]:
    """Neighbourhoods shaded by a value in five quantile steps; those without one in grey.

    Returns the map and its legend: [(colour, label)] for the template to print beside it.
    """
    known = sorted(v for v in values.values() if v is not None)
    cuts = [known[int(len(known) * q / 5)] for q in range(1, 5)] if len(known) >= 5 else []

    def colour(value):
        if value is None:
            return TOO_FEW
        return RAMP[sum(value > cut for cut in cuts)] if cuts else RAMP[2]

    shaded = {**outlines, "features": [
        {**f, "properties": {**f["properties"], "fill": colour(values.get(f["properties"]["code"])),
                             "figure": labels.get(f["properties"]["code"], "")}}
        for f in outlines["features"]]}
    m = city_base_map()
    folium.GeoJson(
        escaped(shaded), name="neighbourhoods",
        style_function=lambda feature: {"color": "#374151", "weight": 0.5, "fillOpacity": 0.8,
                                        "fillColor": feature["properties"]["fill"]},
        highlight_function=lambda feature: {"weight": 2.5},
        tooltip=folium.GeoJsonTooltip(fields=["name", "figure"], labels=False),
    ).add_to(m)
    bounds = [None, *cuts, None]
    legend = [(RAMP[i], (bounds[i], bounds[i + 1])) for i in range(len(cuts) + 1)] if cuts else []
    return fit(m, outlines), legend


# A neighbourhood's map is the same for every neighbourhood but for its outline, its open reports and its
# extent, and most of the 262 are asked for once in a while: drawing it is a third of a page's time once the
# open reports are up to a thousand circles. So it is drawn once for each tile server and language around
# stand-ins, and each page writes its own data where the stand-ins' are (as Folium writes them: the same JSON).
STAND_IN_OUTLINE = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "stand-in outline"},
     "geometry": {"type": "Polygon",
                  "coordinates": [[[123.4, -12.4], [123.5, -12.4], [123.5, -12.3], [123.4, -12.4]]]}}]}
STAND_IN_POINTS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [123.456789, -12.3456789]},
     "properties": {"id": "#stand-in", "category": "stand-in category", "overdue": False, "url": "/stand-in"}}]}

NO_POINTS = {"type": "FeatureCollection", "features": []}


def _as_folium_writes(value) -> str:
    """The JSON Folium's templates write for `value` (Jinja's tojson)."""
    return jinja2.utils.htmlsafe_json_dumps(value, dumps=json.dumps, sort_keys=True)


def _filled(drawn: MapParts, fills: dict[str, str]) -> MapParts:
    """A drawing's script with each stand-in text (there exactly once) written over by its own."""
    script = str(drawn.script)
    where = sorted((script.index(stand_in), stand_in) for stand_in in fills)
    pieces, start = [], 0
    for at, stand_in in where:
        pieces += [script[start:at], fills[stand_in]]
        start = at + len(stand_in)
    return replace(drawn, script=Markup("".join([*pieces, script[start:]])))


@functools.cache
def _neighbourhood_stand_ins() -> dict[str, str]:
    return {_as_folium_writes(escaped(STAND_IN_OUTLINE)): "outline", _as_folium_writes(STAND_IN_POINTS): "points",
            json.dumps(geojson_bounds(STAND_IN_OUTLINE)): "bounds"}


def _neighbourhood_stand_in_parts(circles: bool) -> MapParts:
    drawn = parts(neighbourhood_map(STAND_IN_OUTLINE, STAND_IN_POINTS if circles else NO_POINTS))
    if any(drawn.script.count(stand_in) != (1 if circles or name != "points" else 0)
           for stand_in, name in _neighbourhood_stand_ins().items()):
        raise RuntimeError("a neighbourhood's map no longer writes its outline, circles and extent as it did")
    return drawn


def html_safe(json_text: str) -> str:
    """JSON text made safe inside a page's script as Jinja's tojson makes it: <, >, & and ' escaped (only
    ever inside strings, where the escapes mean the same characters)."""
    return (json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))


def neighbourhood_map_parts(outline: dict, points: str) -> MapParts:
    """parts(neighbourhood_map(outline, points)) for `points` as GeoJSON text, from the drawing kept for the
    tile server and language."""
    bounds = geojson_bounds(outline)
    if bounds is None:  # drawn without an extent
        return parts(neighbourhood_map(outline, json.loads(points)))
    circles = '"Feature"' in points  # else nothing open there: a map without the layer of circles
    drawn = _drawn.get(("neighbourhood", circles, current_app.config["TILE_URL"], str(get_locale())),
                       lambda: _neighbourhood_stand_in_parts(circles))
    own = {"outline": _as_folium_writes(escaped(outline)), "points": html_safe(points), "bounds": json.dumps(bounds)}
    return _filled(drawn, {stand_in: own[name] for stand_in, name in _neighbourhood_stand_ins().items()
                           if circles or name != "points"})


def neighbourhood_map(outline: dict, points: dict) -> folium.Map:
    """A neighbourhood's outline and its open reports as one layer of circles, each linking to its page."""
    m = city_base_map()
    folium.GeoJson(escaped(outline), name="outline",
                   style_function=lambda feature: {"color": "#1d4ed8", "weight": 2, "fillOpacity": 0.04},
                   tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False)).add_to(m)
    if points["features"]:
        layer = folium.GeoJson(
            points, name="open reports",  # written as text by ReportLinks' script, so not escaped here
            marker=folium.CircleMarker(radius=6, weight=1, fill=True, fill_opacity=0.85),  # coloured by maplinks.js
        ).add_to(m)
        ReportLinks().add_to(layer)
    return fit(m, outline)


VECTORGRID = "vendor/leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js"


class ReportTiles(folium.plugins.VectorGridProtobuf):
    """Our vector tiles of reports, drawn by static/js/publicmap.js (its styles, popups and clicks)."""

    _template = folium.template.Template("""
        {% macro script(this, kwargs) -%}
        var {{ this.get_name() }} = L.vectorGrid.protobuf({{ this.url|tojson }}, seeclickMap.options());
        seeclickMap.attach({{ this._parent.get_name() }}, {{ this.get_name() }});
        {%- endmacro %}
    """)

    def __init__(self, url: str, name: str):
        super().__init__(url, name=name, control=False)
        self.default_js = [("vectorGrid", url_for("static", filename=VECTORGRID)),
                           ("seeclickMap", url_for("static", filename="js/publicmap.js"))]


def reports_map(tile_url: str) -> folium.Map:
    """Every report as vector tiles: counts in cells when zoomed out, each report from street level."""
    m = city_base_map()
    ReportTiles(tile_url, name="reports").add_to(m)
    return m
