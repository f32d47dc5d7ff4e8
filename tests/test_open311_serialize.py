"""Open311 serialisation, pure: the fast XML writer and date format give what the standard library gave."""

from datetime import UTC, datetime, timedelta, timezone
from xml.etree.ElementTree import Element, SubElement, fromstring, tostring

from hypothesis import example, given, settings
from hypothesis import strategies as st

from seeclick.open311 import serialize


def element_tree(document, root: str) -> bytes:
    """The XML as ElementTree builds it: the reference the string writer must match byte for byte."""
    def fill(element, name, value):
        if isinstance(value, list):
            for item in value:
                fill(SubElement(element, serialize.ITEM.get(name, "item")), serialize.ITEM.get(name, "item"), item)
        elif isinstance(value, dict):
            for key, inner in value.items():
                fill(SubElement(element, key), key, inner)
        elif isinstance(value, bool):
            element.text = "true" if value else "false"
        elif value is not None:
            element.text = serialize.NOT_XML.sub("", str(value))

    element = Element(root)
    fill(element, root, document)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="unicode").encode()


TEXT = st.one_of(st.text(), st.sampled_from(["", "&", "<x/>", "]]>", "a & b < c > d", "\x01\x0b", "\ufffe", "\t\n\r",
                                             "\ud800", "é", "𝄞", " "]))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
NAME = st.sampled_from(["service_request_id", "status", "notes", "note", "values", "attributes", "errors",
                        "endpoints", "formats", "description", "extended_attributes", "x"])
DOCUMENT = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAME, inner, max_size=5),
                        max_leaves=30)


@settings(max_examples=500, deadline=None)
@given(document=st.lists(DOCUMENT, max_size=4) | st.dictionaries(NAME, DOCUMENT, max_size=6),
       root=st.sampled_from(["service_requests", "services", "service_definition", "discovery", "errors"]))
@example(document=[{"status_notes": "Filled ]]> & done", "description": "Deep\x01 hole\ufffe", "media_url": None,
                    "notes": [], "lat": 40.6782, "metadata": False}], root="service_requests")
def test_xml_is_what_element_tree_wrote(document, root):
    body, content_type = serialize.render(document, "xml", root)
    assert body == element_tree(document, root)
    assert content_type == "text/xml; charset=utf-8"
    fromstring(body)  # and it is well-formed


OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@settings(max_examples=500, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31),
                           timezones=st.none() | st.just(UTC) | OFFSETS))
@example(moment=datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
@example(moment=datetime(2026, 11, 21, 3, 56, 43, 500000, tzinfo=timezone(timedelta(hours=-5))))
def test_w3c_datetimes_are_what_strftime_wrote(moment):
    assert serialize.w3c(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_w3c_of_nothing_is_nothing():
    assert serialize.w3c(None) is None
