"""Maps drawn with their templates kept between renders are the same HTML as Folium drawing them afresh."""

import itertools

import branca.element
import folium.features
import folium.template
import jinja2
import pytest

from seeclick import maps
from seeclick.neighbourhoods import queries as neighbourhoods

DRAWN = {
    "the city and its neighbourhoods (home page)": lambda: maps.city_map(neighbourhoods.outlines()),
    "every report as tiles (/map)": lambda: maps.reports_map("/map/tiles/{z}/{x}/{y}.pbf"),
}


def drawn(app, monkeypatch, build) -> maps.MapParts:
    """The map's parts, its elements named in order (Folium names each at random)."""
    names = itertools.count()
    monkeypatch.setattr(branca.element.Element, "_generate_id", classmethod(lambda cls: f"{next(names):032x}"))
    with app.test_request_context("/"):
        return maps.parts(build())


@pytest.mark.parametrize("build", DRAWN.values(), ids=DRAWN.keys())
def test_a_map_is_the_same_html_whether_its_templates_are_kept_or_compiled_each_time(app, session, monkeypatch,
                                                                                    build):
    kept = [drawn(app, monkeypatch, build) for _ in range(2)]  # the second from what the first kept
    monkeypatch.setattr(branca.element, "Template", jinja2.Template)  # Folium as it comes: all compiled again
    monkeypatch.setattr(folium.features, "Template", folium.template.Template)
    afresh = drawn(app, monkeypatch, build)
    assert kept[0] == kept[1] == afresh
    assert "L.map(" in afresh.script and afresh.html.startswith("\n")


def test_a_text_renders_as_jinja_renders_it():
    for text in ("", "a", "a\n", "a\n\n", "a\r\nb\rc\n", "\n  var x = {a: 1};\n"):
        assert maps._Text(text).render(this=None, kwargs={}) == jinja2.Template(text).render(), repr(text)
