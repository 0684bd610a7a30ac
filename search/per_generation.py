"""A value derived from a library, kept until the library changes (its store generation), and
computed once even when several request threads ask at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from cinesearch.search.store import StoreReader

T = TypeVar("T")


class PerGeneration(Generic[T]):
    def __init__(self, store: StoreReader, compute: Callable[[], T]):
        self.store = store
        self._compute = compute
        self._lock = threading.Lock()
        self._cached: tuple[int, T] | None = None

    def get(self) -> T:
        gen = self.store.generation()
        cached = self._cached
        if cached is not None and cached[0] == gen:
            return cached[1]
        with self._lock:
            if self._cached is None or self._cached[0] != gen:
                self._cached = (gen, self._compute())
            return self._cached[1]
