"""A short-lived memory of the graph's answers, so that twenty screens asking the same thing cost one read.

The graph changes only through ingestion, linking and forecasting (the command line, in another process, or
`POST /api/reports` here), so a read may be served from memory for a few seconds (`RECOUPE_CACHE_SECONDS`,
10 by default; 0 turns the cache off): a page or a screen is at most that much behind the graph. The app's own
writes empty it at once (in the worker process that made them; each of `recoupe serve`'s workers has its own
cache, and the others follow within the delay). The cache holds what the graph answered, or what it looks like
to a kind of role (the incident page's content, keyed by what the role may see), never what one user may see:
the login and the permission checks run before it on every request, and it keeps no per-user data.

Under `recoupe serve` with several workers, finished answers (bytes or text under a key of plain values:
the encoded JSON, the rendered page content) are also kept in a file the workers share
(recoupe/web/shared_cache.py): a worker that misses looks there before it reads the graph, so one read serves
every worker until it expires.

Concurrent misses of one key make one read (the others wait for it), so an expiry under load is one query, not
twenty; once a key has a value, the others are served that last value while one thread reads it again (so an
answer is at most RECOUPE_CACHE_SECONDS plus one read behind). Entries are bounded in number (least recently
used out first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from flask import Flask, current_app

from recoupe.web.shared_cache import SharedAnswers, shared_key

T = TypeVar("T")
MAX_ENTRIES = 2048
EXTENSION = "recoupe.cache"


class Cache:
    """Values computed from the graph, each kept `ttl_s` seconds."""

    def __init__(
        self,
        ttl_s: float,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedAnswers | None = None,
        wall: Callable[[], float] = time.time,
    ):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self.shared, self.wall = shared, wall  # the workers' shared answers and their clock (the epoch's)
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = self.misses = self.stale = self.shared_hits = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for `key` while fresh, else `compute()` (once, however many threads ask)."""
        if self.ttl_s <= 0:
            return compute()
        while True:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry[0] > self.clock():
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return entry[1]  # type: ignore[no-any-return]
                computing = self._computing.get(key)
                if computing is None:
                    computing = self._computing[key] = threading.Lock()
                    computing.acquire()
                    break
                if entry is not None:  # expired, and another thread is reading it again: the last value
                    self.stale += 1
                    return entry[1]  # type: ignore[no-any-return]
            with computing:  # another thread computes it: wait, then read what it kept
                pass
        try:
            name = shared_key(key) if self.shared is not None else None
            found = None if self.shared is None or name is None else self.shared.get(name, self.wall())
            if found is not None:  # another worker read it: kept here until the same expiry
                self.shared_hits += 1
                value = cast(T, found[1])
                expires = self.clock() + found[0] - self.wall()
            else:
                self.misses += 1
                value = compute()
                expires = self.clock() + self.ttl_s
                if self.shared is not None and name is not None and isinstance(value, bytes | str):
                    now = self.wall()
                    self.shared.put(name, now + self.ttl_s, value, now)
            with self._lock:
                self._entries[key] = (expires, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._computing[key]
            computing.release()

    def clear(self) -> None:
        """Forget every value, the shared answers too."""
        with self._lock:
            self._entries.clear()
        if self.shared is not None:
            self.shared.clear()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Cache(float(app.config["RECOUPE_CACHE_SECONDS"]))


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`'s value for `key`, from the app's cache while fresh."""
    cache: Cache = current_app.extensions[EXTENSION]
    return cache.get(key, compute)


def forget() -> None:
    """Empty the app's cache (after the app itself wrote to the graph)."""
    current_app.extensions[EXTENSION].clear()
