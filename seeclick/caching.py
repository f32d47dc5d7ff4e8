"""What a process keeps between requests: one small helper, and one way to clear everything it keeps.

Each use names what it keeps and for how long; `forget_all()` drops every kept value at once (the
tests call it before each test, a benchmark before its cold requests). Nothing kept here is ever
needed for correctness: a value is either checked against its source on use (a category's version)
or old by at most its `seconds`, or it is the last value of its family standing in for a newer one
while that one is being built, and only as long as the use's own rule allows (the statistics
dashboard: figures at most two folds old, whose page says when they are from).

`Shared` keeps text for every process at once, in the shared store (Redis), in front of which a
`Kept` can stand: a page drawn by one worker is found by the others and by the other hosts.

A key is built by one thread at a time: the others asking for it meanwhile wait for that build
(or are given the stand-in) instead of building the same value again, a page's CPU-bound drawing
once per process rather than once per thread that asked at the same moment.
"""

import hashlib
import hmac
import logging
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import redis

T = TypeVar("T")
clock = time.monotonic  # what ages are measured by (a test may move it on)
_MISSING = object()
_every: list["Kept"] = []
log = logging.getLogger(__name__)


class _Build:
    """One thread's build of a key, which the others asking for that key wait for."""

    def __init__(self, family: Hashable):
        self.family = family
        self.done = threading.Event()
        self.value = _MISSING  # stays MISSING when the build failed: a waiting thread then builds it itself


class Kept(Generic[T]):
    """Values by key, each for at most `seconds` (None: until dropped), at most `limit` of them (oldest out)."""

    def __init__(self, name: str, seconds: float | None = None, limit: int = 1000):
        self.name, self.seconds, self.limit = name, seconds, limit
        self._values: OrderedDict = OrderedDict()
        self._latest: dict = {}  # family -> the key of its last value put
        self._builds: dict = {}  # key -> its _Build under way
        self._lock = threading.Lock()
        _every.append(self)

    def get(self, key: Hashable, build: Callable[[], T], seconds: float | None = None, *,
            family: Hashable = None, stands_in: Callable[[Hashable], bool] | None = None, aged: bool = False) -> T:
        """The value kept for `key`, or build() kept from now on; `seconds` overrides the helper's own age.
        `aged`: build() gives (the value, how many seconds old it is already), as a value found in a `Shared`
        store is, and it is kept only for the rest of its life.

        While another thread builds `key`, this one waits for that build; or, when `key` is one version of
        a `family` and stands_in(the family's last key) says its value may be shown instead, is given that,
        as it is while another version of the family is being built.
        """
        while True:
            with self._lock:
                found = self._young(key, seconds)
                if found is not _MISSING:
                    return found
                last = self._latest.get(family, _MISSING) if stands_in else _MISSING
                instead = self._young(last, seconds) if last is not _MISSING and stands_in(last) else _MISSING
                under_way = self._builds.get(key)
                if under_way is None:
                    # One build of a family at a time while its last value may stand in: a newer version asked
                    # for during a slow build waits its turn rather than drawing beside it.
                    if instead is not _MISSING and any(b.family == family for b in self._builds.values()):
                        return instead
                    mine = self._builds[key] = _Build(family)
                    break
            if instead is not _MISSING:
                return instead
            under_way.done.wait()
            if under_way.value is not _MISSING:
                return under_way.value
        try:
            value, age = build() if aged else (build(), 0.0)
        except BaseException:
            with self._lock:
                del self._builds[key]
            mine.done.set()
            raise
        with self._lock:
            self._put(key, value, family, age)
            del self._builds[key]
        mine.value = value
        mine.done.set()
        return value

    def peek(self, key: Hashable, seconds: float | None = None):
        """The value kept for `key` if it is young enough, else MISSING (`Kept.MISSING`)."""
        with self._lock:
            return self._young(key, seconds)

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._put(key, value)

    def _young(self, key: Hashable, seconds: float | None):
        limit = seconds if seconds is not None else self.seconds
        found = self._values.get(key)
        if found is None or (limit is not None and clock() - found[0] >= limit):
            return _MISSING
        self._values.move_to_end(key)
        return found[1]

    def _put(self, key: Hashable, value: T, family: Hashable = None, age: float = 0.0) -> None:
        if family is not None:  # the family's earlier version is superseded: it is kept no longer
            earlier = self._latest.get(family)
            if earlier is not None and earlier != key:
                self._values.pop(earlier, None)
            self._latest[family] = key
        self._values[key] = (clock() - age, value)
        self._values.move_to_end(key)
        while len(self._values) > self.limit:
            self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._latest.clear()

    def __len__(self) -> int:
        return len(self._values)

    MISSING = _MISSING


def forget_all() -> None:
    """Drop everything every process-wide helper keeps, and empty the shared stores this process has used."""
    for kept in _every:
        kept.clear()
    forget_shared()


class Shared:
    """Text kept for every process at once, in the shared store (Redis at SHARED_CACHE_URI): what one worker
    draws, the other workers and the other hosts find, instead of each drawing its own copy. Each value is
    kept as many seconds as its use says, compressed (zlib: a neighbourhood's 220 KB page is about 30 KB there).

    Nothing kept here is needed: with no store configured, no value under a key, or a store that cannot
    be reached, build() answers here; a store that failed is not asked again for RETRY_SECONDS, so a
    Redis outage costs each process one short timeout, not one per page. Only what anyone may see goes in
    (a page's public part); the store's database holds nothing else, so forget_all() empties it.

    Each value is signed with the application's secret key (HMAC-SHA256) and one whose signature does not
    match is drawn again: what the pages place from here (HTML, a map's script under the page's nonce)
    can only have been put there by an app server, not by whoever else reaches the store.
    """

    RETRY_SECONDS = 30.0
    TIMEOUT_SECONDS = 0.25

    def __init__(self, name: str):
        self.name = name
        self._down_until: dict[str, float] = {}

    def get(self, uri: str | None, secret: bytes, key: str, build: Callable[[], str], seconds: float) -> str:
        """The text under `key` in the store at `uri`, signed with `secret`, or build() put there for `seconds`."""
        return self.get_aged(uri, secret, key, build, seconds)[0]

    def get_aged(self, uri: str | None, secret: bytes, key: str, build: Callable[[], str],
                 seconds: float) -> tuple[str, float]:
        """get(), and how many seconds old the text is (when drawn now, from the start of its drawing): a process
        that keeps it too keeps it only for the rest of its `seconds`, so that no copy anywhere is older."""

        def drawn() -> tuple[str, float]:
            began = clock()
            value = build()
            return value, clock() - began

        store = _store(uri) if uri and clock() >= self._down_until.get(uri, 0.0) else None
        if store is None:
            return drawn()
        name = f"seeclick:{self.name}:{hashlib.sha256(key.encode()).hexdigest()}"
        try:
            found, left_ms = store.pipeline().get(name).pttl(name).execute()  # at once (MULTI), in one round trip
        except redis.RedisError as error:
            return self._failed(uri, error, drawn)
        if found is not None and left_ms < 0:  # kept with no expiry (not as this class puts it): never served
            log.warning("shared cache %s: the value under %s is drawn again (it had no expiry)", self.name, name)
        elif found is not None:
            signature, packed = found[:_SIGNATURE], found[_SIGNATURE:]
            why = "not signed with this application's key"
            if hmac.compare_digest(signature, _sign(secret, name, packed)):
                try:
                    # Its age: what its expiry leaves of `seconds`, gone.
                    return zlib.decompress(packed).decode(), max(0.0, seconds - left_ms / 1000)
                except (zlib.error, UnicodeDecodeError) as error:
                    why = f"unreadable: {error}"
            log.warning("shared cache %s: the value under %s is drawn again (%s)", self.name, name, why)
        value, age = drawn()
        packed = zlib.compress(value.encode(), 1)
        try:
            store.set(name, _sign(secret, name, packed) + packed, px=max(1, int((seconds - age) * 1000)))
        except redis.RedisError as error:
            self._failed(uri, error, None)
        return value, age

    def _failed(self, uri: str, error: Exception, build: Callable[[], tuple[str, float]] | None):
        self._down_until[uri] = clock() + self.RETRY_SECONDS
        log.warning("shared cache %s unreachable (%s): each process draws its own for %.0f s",
                    self.name, error, self.RETRY_SECONDS)
        return build() if build is not None else None


_SIGNATURE = hashlib.sha256().digest_size


def _sign(secret: bytes, name: str, packed: bytes) -> bytes:
    """The value's signature, bound to the key it is kept under (a value moved to another key fails)."""
    return hmac.new(secret, name.encode() + b"\0" + packed, hashlib.sha256).digest()


_stores: dict[str, "redis.Redis"] = {}
_stores_lock = threading.Lock()


def _store(uri: str) -> "redis.Redis":
    with _stores_lock:
        if uri not in _stores:
            _stores[uri] = redis.Redis.from_url(uri, socket_timeout=Shared.TIMEOUT_SECONDS,
                                                socket_connect_timeout=Shared.TIMEOUT_SECONDS)
        return _stores[uri]


def forget_shared(*uris: str | None) -> None:
    """Empty the shared stores at `uris` and every other one this process has used (their databases hold
    nothing but what Shared keeps): what another process put there is gone too."""
    stores = [_store(uri) for uri in uris if uri]
    with _stores_lock:
        stores += [store for store in _stores.values() if store not in stores]
    for store in stores:
        try:
            store.flushdb()
        except redis.RedisError:
            pass  # unreachable: nothing to hand out either
