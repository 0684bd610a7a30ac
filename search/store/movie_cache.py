"""Whole movies as the focus step reads them, kept in memory by a backend whose reads cost a round
trip (Elasticsearch): a query's candidate windows are then cut locally from movies read once.
Keyed by (movie, run), so a re-indexed movie is never served stale; least recently used movies
leave first when the byte budget is exceeded."""

from __future__ import annotations

import threading
from collections import OrderedDict

from cinesearch.search.store.records import Shot, TextSegment

Entry = tuple[list[Shot], list[TextSegment]]


def size_of(shots: list[Shot], texts: list[TextSegment]) -> int:
    """Approximate bytes held: vectors plus a fixed cost per object."""
    n = sum(300 + (s.visual.nbytes if s.visual is not None else 0) for s in shots)
    return n + sum(250 + len(t.text) + (t.vector.nbytes if t.vector is not None else 0) for t in texts)


class MovieCache:
    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.used = 0
        self._movies: OrderedDict[tuple[str, str], tuple[Entry, int]] = OrderedDict()
        self._lock = threading.Lock()   # request threads share one cache

    def get(self, key: tuple[str, str]) -> Entry | None:
        with self._lock:
            hit = self._movies.get(key)
            if hit is None:
                return None
            self._movies.move_to_end(key)
            return hit[0]

    def put(self, key: tuple[str, str], shots: list[Shot], texts: list[TextSegment]) -> None:
        size = size_of(shots, texts)
        if size > self.budget:
            return
        with self._lock:
            self._put(key, (shots, texts), size)

    def _put(self, key: tuple[str, str], entry: Entry, size: int) -> None:
        old = self._movies.pop(key, None)
        if old is not None:
            self.used -= old[1]
        self._movies[key] = (entry, size)
        self.used += size
        while self.used > self.budget:
            _, (_, freed) = self._movies.popitem(last=False)
            self.used -= freed


def window(entry: Entry, first: int, last: int) -> Entry:
    """Shots first..last of a whole movie and the texts placed on them (Store.read_windows)."""
    shots, texts = entry
    cut = [s for s in shots if first <= s.index <= last]
    if not cut:
        return [], []
    lo, hi = cut[0].index, cut[-1].index
    return cut, [t for t in texts if t.first_shot is not None and t.last_shot is not None
                 and t.first_shot <= hi and t.last_shot >= lo]
