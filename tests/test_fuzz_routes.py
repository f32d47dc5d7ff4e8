"""Every GET route in app.url_map survives any path value and query string: never a 500, never a 200 cut short.

For each route, first the parameters its view reads are learned (request.args records each name
asked for), and each of them is given every odd value in turn: NULs, huge and negative numbers,
non-numbers, impossible dates, blanks, long text; then all of them at once, empty, and repeated.
Then Hypothesis draws path values (real ones and odd ones) and query strings of those and other
parameters. Each answer is read to its end and parsed as what it says it is. Anonymous and as an
administrator (who may open every page). SEECLICK_FUZZ_EXAMPLES draws more.
"""

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict

from seeclick import create_app

EXAMPLES = int(os.environ.get("SEECLICK_FUZZ_EXAMPLES", "15"))

# Every parameter some page or API reads, and a few no page reads.
PARAMETERS = ["category", "department", "status", "from", "to", "since", "until", "neighbourhood", "lat", "lon",
              "long", "next", "extensions", "page", "page_size", "per_page", "bbox", "radius", "service_code",
              "service_request_id", "start_date", "end_date", "updated_after", "updated_before", "jurisdiction_id",
              "api_key", "older_than", "overdue", "sort", "step", "format", "q", "id", "", "a[]", "attribute[size]"]

ODD = ["", " ", "\x00", "a\x00b", "%00", "%", "9" * 30, "-" + "9" * 30, "99999999999999999999999999", "-1", "0",
       "1e309", "-1e309", "nan", "inf", "-inf", "1.5", "0x10", "1,2,,3", ",", "2026-02-30", "2026-13", "2026-1",
       "9999-12-31", "0001-01-01", "10000-01-01", "2026-11-01T25:00:00Z", "2026-11-01T00:00:00+99:00", "true",
       "false", "open", "closed", "all", "pothole", "dot-bk", "BK0802", "new", "oldest", "-73.9,40.6,-73.8,40.7",
       "40.6782", "-73.9442", "181", "-91", "🕳️", "ß" * 300, "x" * 3000, "<script>alert(1)</script>",
       "'; DROP TABLE report; --", "\\", "//evil.example", "javascript:alert(1)", "\u202e", "\r\n"]

# What each parameter a view reads is given in turn: the values that have broken pages before.
EACH = ["", " ", "\x00", "9" * 30, "-" + "9" * 30, "-1", "0", "1e309", "nan", "inf", "1.5", "2026-02-30", "2026-13",
        "10000-01-01", "2026-11-01T25:00:00Z", ",", "1,2,,3", "x" * 3000, "🕳️", "\\", "-73.9,40.6,-73.8,40.7"]

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(st.sampled_from(ODD), text, st.integers(min_value=-2**80, max_value=2**80).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr))


def rule_names(prefixes=("/",)):
    app = create_app({"TESTING": True})
    return sorted({rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods
                   and rule.endpoint != "static" and rule.rule.startswith(prefixes)})


def known_values(report, user_id):
    """Real values for each path argument, so the pages behind them are reached too."""
    return {"public_id": [report.public_id], "service_request_id": [report.public_id],
            "code": ["BK0802", "dot-bk", "pothole"], "service_code": ["pothole"],
            "kind": ["neighbourhoods", "departments", "categories", "follow", "watch"], "action": ["confirm", "stop"],
            "fmt": ["json", "xml"], "size": ["thumb"], "user_id": [str(user_id)], "token": ["no-such-token"],
            "z": ["0", "12", "17", "30", "99999999999999999999"], "x": ["1206", "0", "99999999999999999999"],
            "y": ["1539", "0", "99999999999999999999"]}


PLACEHOLDER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def path_strategy(rule, known):
    """Paths for a rule: each <argument> a real value or an odd one."""
    pieces = PLACEHOLDER.split(rule)  # literal, name, literal, name, ...
    names = pieces[1::2]

    def build(chosen):
        out = []
        for i, piece in enumerate(pieces):
            out.append(quote(chosen[i // 2], safe="") if i % 2 else piece)
        return "".join(out)

    argument = [st.one_of(st.sampled_from(known.get(name.split("(")[0].strip(), ["x"])), values)
                for name in names]
    return st.tuples(*argument).map(build) if names else st.just(rule)


def check(response, path):
    """No 5xx, the whole body readable, and a 200 complete in the format it names."""
    assert response.status_code < 500, f"{response.status_code} for {path}"
    body = response.get_data()  # a streamed answer that fails part way raises here
    if response.status_code != 200:
        return
    kind = response.mimetype
    if kind in ("application/json", "application/geo+json"):
        json.loads(body)
    elif kind.endswith("xml"):
        ET.fromstring(body)
    elif kind == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows and all(len(row) == len(rows[0]) for row in rows), f"a ragged CSV from {path}"
    elif kind == "text/html":
        assert body.rstrip().endswith(b"</html>"), f"an HTML page cut short from {path}"


class Recording(ImmutableMultiDict):
    """Query parameters that remember each name a view asks for."""

    asked: set = set()

    def get(self, key, default=None, type=None):
        Recording.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        Recording.asked.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        Recording.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        Recording.asked.add(key)
        return super().__contains__(key)


def example_path(rule, known):
    return PLACEHOLDER.sub(lambda m: quote(known.get(m[1].split("(")[0].strip(), ["x"])[0], safe=""), rule)


def fuzz(client, rule, known, monkeypatch):
    monkeypatch.setattr(flask.Request, "parameter_storage_class", Recording)
    path = example_path(rule, known)
    Recording.asked = set()
    check(client.get(path), path)
    learned = sorted(Recording.asked)
    for name in learned:  # every odd value in every parameter the view reads
        for value in EACH:
            url = f"{path}?{urlencode([(name, value)])}"
            check(client.get(url), url)
    for value in ("", "\x00", "9" * 30, "-1", "x" * 3000):  # all of them at once, and each twice
        url = f"{path}?{urlencode([(name, v) for name in learned for v in (value, 'other')])}"
        check(client.get(url), url)
    names = st.one_of(st.sampled_from(learned or PARAMETERS), st.sampled_from(PARAMETERS), text)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(path=path_strategy(rule, known), query=st.lists(st.tuples(names, values), max_size=6))
    def one(path, query):
        url = path + ("?" + urlencode(query) if query else "")
        check(client.get(url), url)

    one()


@pytest.mark.parametrize("rule", rule_names())
def test_no_get_route_fails_on_any_query_string_anonymously(client, make_report, rule, monkeypatch):
    fuzz(client, rule, known_values(make_report(), 1), monkeypatch)


@pytest.mark.parametrize("rule", rule_names(("/staff", "/admin")))  # the pages only staff and admins see
def test_no_get_route_fails_on_any_query_string_for_an_administrator(client, make_report, login_as, rule,
                                                                    monkeypatch):
    admin = login_as("admin")
    fuzz(client, rule, known_values(make_report(), admin.id), monkeypatch)
