"""Keyframes: three per shot at 25/50/75% of its length, picked from thumbnails spooled during the
single decode pass (so no second decode and no seeking)."""

from __future__ import annotations

import bisect
import io
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from cinesearch.indexer.media import Picture

POSITIONS = (0.25, 0.50, 0.75)


def keyframe_targets(start: int, end: int, positions: Sequence[float] = POSITIONS) -> list[int]:
    """Frame indices at the given fractions of the half-open shot [start, end)."""
    length = max(1, end - start)
    return [min(end - 1, start + int(p * length)) for p in positions]


def nearest_available(target: int, available: Sequence[int], start: int, end: int) -> int:
    """The spooled frame closest to `target`, preferring frames inside [start, end)."""
    lo = bisect.bisect_left(available, start)
    hi = bisect.bisect_left(available, end)
    pool = available[lo:hi] or available
    k = bisect.bisect_left(pool, target)
    candidates = [pool[i] for i in (k - 1, k) if 0 <= i < len(pool)]
    return min(candidates, key=lambda i: (abs(i - target), i))


def encode_jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, optimize=False)
    return buf.getvalue()


def _encode(picture: np.ndarray | Picture) -> bytes:
    return encode_jpeg(picture.rgb() if isinstance(picture, Picture) else picture)


class ThumbSpool:
    """Append-only JPEG spool on disk: frame index -> bytes, bounded memory for any film length.

    JPEG encoding releases the GIL, so it runs on one worker thread beside the decoder; at most
    `ahead` pictures wait in memory.
    """

    def __init__(self, path: Path, ahead: int = 8):
        self.path = path
        self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._reader = None
        self._offsets: dict[int, tuple[int, int]] = {}
        self._pos = 0
        self._ahead = ahead
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._pending: deque[tuple[int, Future[bytes]]] = deque()

    def add(self, index: int, picture: np.ndarray | Picture) -> None:
        """Queue one picture; a `Picture`'s last scaling step runs on the spool's thread too."""
        self._pending.append((index, self._pool.submit(_encode, picture)))
        while self._pending and (len(self._pending) > self._ahead or self._pending[0][1].done()):
            self._write_next()

    def _write_next(self) -> None:
        index, future = self._pending.popleft()
        data = future.result()
        self._fh.write(data)
        self._offsets[index] = (self._pos, len(data))
        self._pos += len(data)

    def _drain(self) -> None:
        while self._pending:
            self._write_next()

    def indices(self) -> list[int]:
        self._drain()
        return sorted(self._offsets)

    def read(self, index: int) -> bytes:
        self._drain()
        self._fh.flush()
        if self._reader is None:
            self._reader = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        off, n = self._offsets[index]
        self._reader.seek(off)
        return self._reader.read(n)

    def close(self) -> None:
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)
        for fh in (self._fh, self._reader):
            if fh is not None and not fh.closed:
                fh.close()
