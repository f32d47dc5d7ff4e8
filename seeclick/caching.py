"""What a process keeps between requests: one small helper, and one way to clear everything it keeps.

Each use names what it keeps and for how long; `forget_all()` drops every kept value at once (the
tests call it before each test, a benchmark before its cold requests). Nothing kept here is ever
needed for correctness: a value is either checked against its source on use (a category's version)
or old by at most its `seconds`.
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


class Kept(Generic[T]):
    """Values by key, each for at most `seconds` (None: until dropped), at most `limit` of them (oldest out)."""

    def __init__(self, name: str, seconds: float | None = None, limit: int = 1000):
        self.name, self.seconds, self.limit = name, seconds, limit
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        _every.append(self)

    def get(self, key: Hashable, build: Callable[[], T], seconds: float | None = None) -> T:
        """The value kept for `key`, or build() kept from now on; `seconds` overrides the helper's own age."""
        found = self.peek(key, seconds)
        if found is not _MISSING:
            return found
        value = build()
        self.put(key, value)
        return value

    def peek(self, key: Hashable, seconds: float | None = None):
        """The value kept for `key` if it is young enough, else MISSING (`Kept.MISSING`)."""
        limit = seconds if seconds is not None else self.seconds
        with self._lock:
            found = self._values.get(key)
            if found is None or (limit is not None and clock() - found[0] >= limit):
                return _MISSING
            self._values.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._values[key] = (clock(), value)
            self._values.move_to_end(key)
            while len(self._values) > self.limit:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)

    MISSING = _MISSING


def forget_all() -> None:
    """Drop everything every process-wide helper keeps."""
    for kept in _every:
        kept.clear()
