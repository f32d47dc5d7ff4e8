"""Pages one worker draws for every worker and host, in the shared store (the tests' own Redis database).

A new worker, or one on another host, has nothing kept of its own: clearing this process's copies
stands for it. What goes to the store is only what anyone may see.
"""

import json
import logging
import re
import zlib

import redis
from sqlalchemy import select

from seeclick import caching
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.stats import rendered

PAGE = "/neighbourhoods/BK0802"


def store(app) -> redis.Redis:
    uri = app.config["SHARED_CACHE_URI"]
    assert uri, "make test starts the project-local Redis: the shared store is its database 3"
    return redis.Redis.from_url(uri)


def reads_reports(counted) -> bool:
    return any("FROM report" in statement for statement in counted.statements)


def same_page(html: str) -> str:
    """The page without what is the visitor's own (its form token, the nonce of its scripts) and without the
    names a drawing gives its map's parts, which a page drawn again names afresh."""
    return re.sub(r"_[0-9a-f]{32}(?![0-9a-f])", "_…", re.sub(r'(value|nonce)="[^"]{16,}"', r'\1="…"', html))


def test_a_page_one_worker_drew_is_served_by_the_next_without_drawing_it(client, session, make_report,
                                                                          count_queries):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    report = make_report(neighbourhood=crown, description="Cracked kerb")
    with count_queries() as first_time:
        drawn = client.get(PAGE).get_data(as_text=True)
    assert f"#{report.public_id}" in drawn and reads_reports(first_time)

    rendered._neighbourhoods.clear()  # another worker: nothing kept of its own
    with count_queries() as next_worker:
        found = client.get(PAGE)
    assert found.status_code == 200 and not reads_reports(next_worker), next_worker
    assert same_page(found.get_data(as_text=True)) == same_page(drawn)

    caching.forget_all()  # the store emptied as well: the page is drawn again, from the database
    with count_queries() as after_forgetting:
        assert f"#{report.public_id}" in client.get(PAGE).get_data(as_text=True)
    assert reads_reports(after_forgetting)


def test_the_store_holds_the_public_page_only(app, client, session, make_report):
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    make_report(neighbourhood=crown, reporter_email="ana@example.org", reporter_phone="718-555-0123",
                reporter_name="Ana Private")
    page = client.get(PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    kept = [zlib.decompress(store(app).get(key)[32:]).decode() for key in store(app).keys("seeclick:*")]
    assert len(kept) == 1 and "Watch this neighbourhood" in kept[0]
    for private in ("ana@example.org", "718-555-0123", "Ana Private", token):
        assert private not in kept[0]
    assert client.get(PAGE).get_data(as_text=True).count(token) == 1  # each visitor's own, put in for them


def test_with_the_store_down_each_worker_draws_its_own_and_says_so_once(app, client, session, caplog):
    working = app.config["SHARED_CACHE_URI"]
    app.config["SHARED_CACHE_URI"] = "redis://127.0.0.1:1/0"  # nothing listens there: refused at once
    try:
        with caplog.at_level(logging.WARNING, logger="seeclick.caching"):
            answers = []
            for _ in range(3):
                rendered._neighbourhoods.clear()
                answers.append(client.get(PAGE))
    finally:
        app.config["SHARED_CACHE_URI"] = working
        rendered._shared_neighbourhoods._down_until.clear()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all("Crown Heights" in a.get_data(as_text=True) for a in answers)
    told = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(told) == 1 and "draws its own" in told[0]  # then left alone for a while, not asked each page


def test_an_unreadable_value_in_the_store_is_drawn_again(app, client, session):
    client.get(PAGE)
    [key] = store(app).keys("seeclick:*")
    store(app).set(key, b"not compressed at all")
    rendered._neighbourhoods.clear()
    answer = client.get(PAGE)
    assert answer.status_code == 200 and "Crown Heights" in answer.get_data(as_text=True)
    assert zlib.decompress(store(app).get(key)[32:]).decode().count("Watch this neighbourhood") == 1


def test_a_page_kept_in_the_store_with_no_expiry_is_drawn_again(app, client, session, count_queries):
    """Only an app server's own value, which always expires, is served: none stays for ever."""
    client.get(PAGE)
    [key] = store(app).keys("seeclick:*")
    store(app).persist(key)
    rendered._neighbourhoods.clear()
    with count_queries() as counted:
        assert client.get(PAGE).status_code == 200
    assert reads_reports(counted) and 0 < store(app).pttl(key) <= 30_000


def test_a_page_put_in_the_store_by_anyone_but_an_app_server_is_never_served(app, client, session):
    """Whoever reaches Redis can write there; only what carries the app's own signature is placed in a page."""
    page = client.get(PAGE).get_data(as_text=True)
    [key] = store(app).keys("seeclick:*")
    planted = json.dumps({"main": "<script>alert('planted')</script>", "header": "", "html": "",
                          "script": "alert('planted')"})
    for signature in (b"\0" * 32, store(app).get(key)[:32]):  # none, and the real page's on other content
        store(app).set(key, signature + zlib.compress(planted.encode()))
        rendered._neighbourhoods.clear()
        answer = client.get(PAGE).get_data(as_text=True)
        assert "planted" not in answer and same_page(answer) == same_page(page)


def test_no_copy_of_a_page_is_older_than_its_thirty_seconds_and_each_lives_that_long(client, session, make_report,
                                                                                     count_queries, monkeypatch):
    """A worker keeps a page it found in the store for what is left of the page's life, no longer and no less."""
    crown = session.scalar(select(Neighbourhood).where(Neighbourhood.code == "BK0802"))
    make_report(neighbourhood=crown, description="Cracked kerb")
    now = [caching.clock()]
    monkeypatch.setattr(caching, "clock", lambda: now[0])
    client.get(PAGE)
    [key] = store(client.application).keys("seeclick:*")

    def served(seconds_later: float, *, store_expired: bool) -> bool:
        """Whether the page is served without being drawn again, `seconds_later` on this process's clock."""
        now[0] += seconds_later
        if store_expired:
            store(client.application).delete(key)  # the store's own copy has lived out its time too
        with count_queries() as counted:
            assert client.get(PAGE).status_code == 200
        return not reads_reports(counted)

    rendered._neighbourhoods.clear()  # another worker finds it when it is fresh...
    assert served(0, store_expired=False)
    assert served(25, store_expired=True)  # ...and keeps it, not asking the store, for nearly all its life

    rendered._neighbourhoods.clear()
    assert not served(0, store_expired=False)  # gone from both: drawn again, and put in the store
    store(client.application).pexpire(key, 2000)  # as if drawn 28 s ago
    rendered._neighbourhoods.clear()
    assert served(0, store_expired=False)
    assert not served(2.5, store_expired=True)  # 30.5 s old: drawn again, not kept for another 15 or 30 s
