"""What a process keeps between requests: one small helper, and one way to clear everything it keeps.

Each use names what it keeps and for how long; `forget_all()` drops every kept value at once (the
tests call it before each test, a benchmark before its cold requests). Nothing kept here is ever
needed for correctness: a value is either checked against its source on use (a category's version)
or old by at most its `seconds`, or it is the last value of its family standing in for a newer one
while that one is being built, and only as long as the use's own rule allows (the statistics
dashboard: figures at most two folds old, whose page says when they are from).

A key is built by one thread at a time: the others asking for it meanwhile wait for that build
(or are given the stand-in) instead of building the same value again, a page's CPU-bound drawing
once per process rather than once per thread that asked at the same moment.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
clock = time.monotonic  # what ages are measured by (a test may move it on)
_MISSING = object()
_every: list["Kept"] = []


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
            family: Hashable = None, stands_in: Callable[[Hashable], bool] | None = None) -> T:
        """The value kept for `key`, or build() kept from now on; `seconds` overrides the helper's own age.

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
            value = build()
        except BaseException:
            with self._lock:
                del self._builds[key]
            mine.done.set()
            raise
        with self._lock:
            self._put(key, value, family)
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

    def _put(self, key: Hashable, value: T, family: Hashable = None) -> None:
        if family is not None:  # the family's earlier version is superseded: it is kept no longer
            earlier = self._latest.get(family)
            if earlier is not None and earlier != key:
                self._values.pop(earlier, None)
            self._latest[family] = key
        self._values[key] = (clock(), value)
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
    """Drop everything every process-wide helper keeps."""
    for kept in _every:
        kept.clear()
