"""Face queries in worker processes, for servers. dlib's face embedding holds the GIL for its whole
80 ms: in a server's request threads that stalled every other request (video ranges, thumbnails,
text searches) and ran face queries one at a time. Worker processes, each with its own analyzer
loaded once, take the photo (already checked and shrunk) and give back its faces; the server's
threads wait on them without the GIL. The CLI does not start the pool and embeds in-process."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from cinesearch.models.faces import Face, FaceAnalyzer

_pool: ProcessPoolExecutor | None = None
_workers = 0
_lock = threading.Lock()
_analyzer: FaceAnalyzer | None = None     # in a worker process


def _init() -> None:
    global _analyzer
    from cinesearch.models.faces import load_face_analyzer

    threading.Thread(target=_leave_with_parent, args=(os.getppid(),), daemon=True).start()
    _analyzer = load_face_analyzer()


def _leave_with_parent(parent: int) -> None:
    """In a worker: exit when the server is gone, however it ended (SIGKILL included), rather than
    live on as an orphan holding the face models."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _faces(rgb: np.ndarray) -> list[tuple[tuple[int, int, int, int], float, np.ndarray]]:
    """In a worker: the photo's faces (FaceAnalyzer.photo_faces)."""
    assert _analyzer is not None
    found = _analyzer.photo_faces(rgb)
    return [(f.box, f.score, f.vector) for f in found]


def start(workers: int = 2) -> None:
    """Start the worker processes and load their models (seconds, once, before a server says it
    is ready)."""
    global _pool, _workers
    with _lock:
        if _pool is None:
            _workers = max(1, workers)
            _pool = ProcessPoolExecutor(_workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init)
            list(_pool.map(_faces, [np.zeros((8, 8, 3), np.uint8)] * _workers))   # every worker loaded
            atexit.register(stop)


def query_faces(rgb: np.ndarray) -> list[Face] | None:
    """The faces of a query photo from the pool, largest first; None when no pool runs (the caller
    embeds in-process). A worker that died is replaced once."""
    global _pool
    for _attempt in range(2):
        pool = _pool
        if pool is None:
            return None
        try:
            return [Face(box, score, vec) for box, score, vec in pool.submit(_faces, rgb).result()]
        except BrokenProcessPool:
            with _lock:
                if _pool is pool:
                    _pool = None
            start(_workers)
    return None


def stop() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(cancel_futures=True)
            _pool = None
