"""A low-priority lane for costly searches (a paragraph of many sentences): they run on two
threads of their own at a lower CPU priority (nice 10; on Linux the nice value is per thread), so
under load the short queries, the face workers and the media I/O thread are scheduled first and
one client sending long queries back to back cannot raise everyone else's latency. Idle, a long
query runs as fast as before: priority only matters when the cores are contended."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

HEAVY_SENTENCES = 3   # queries with more sentences than this take the slow lane
NICE = 10

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _lower_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):   # not Linux, or not allowed: run as is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)


def run(task: Callable[[], T]) -> T:
    """The task's result, computed on a low-priority thread."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(2, thread_name_prefix="slow-lane", initializer=_lower_priority)
        pool = _pool
    return pool.submit(task).result()
