"""One vector kind's rows read back from the SQLite catalogue a part at a time (`vectors.Rows`),
so rebuilding a faiss index holds one chunk of float32 vectors plus the index, never all of them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import numpy as np

from cinesearch.search.store.vectors import sample_positions

_IDS_PER_QUERY = 500   # ids bound into one `IN (...)`: well under SQLite's parameter limit


class CatalogueRows:
    """The rows of `table` whose `col` blob holds a `dim`-d float32 vector. `table` and `col` come
    from the store's own table map, never from input."""

    def __init__(self, conn: sqlite3.Connection, table: str, col: str, dim: int):
        self.conn, self.table, self.col, self.dim = conn, table, col, dim
        self._where = f"length({col}) = {dim * 4}"   # length() of a blob reads its header, not its bytes

    def count(self) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {self.table} WHERE {self._where}").fetchone()[0])

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        after = -(2 ** 63)
        while True:
            ids, vecs = self._fill(self.conn.execute(
                f"SELECT id, {self.col} FROM {self.table} WHERE {self._where} AND id > ? ORDER BY id LIMIT ?",
                (after, size)), size)
            if not len(ids):
                return
            yield ids, vecs
            after = int(ids[-1])

    def sample(self, n: int) -> np.ndarray:
        if n <= 0:
            return np.zeros((0, self.dim), np.float32)
        all_ids = np.fromiter((r[0] for r in self.conn.execute(
            f"SELECT id FROM {self.table} WHERE {self._where} ORDER BY id")), np.int64)
        chosen = all_ids[sample_positions(len(all_ids), n)].tolist()
        parts = []
        for i in range(0, len(chosen), _IDS_PER_QUERY):
            part = chosen[i:i + _IDS_PER_QUERY]
            parts.append(self._fill(self.conn.execute(
                f"SELECT id, {self.col} FROM {self.table} WHERE id IN ({','.join('?' * len(part))})", part),
                len(part))[1])
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)

    def _fill(self, cursor: sqlite3.Cursor, most: int) -> tuple[np.ndarray, np.ndarray]:
        """Copy a cursor's (id, blob) rows straight into arrays: no list of blobs, no joined copy."""
        ids = np.empty(most, np.int64)
        vecs = np.empty((most, self.dim), np.float32)
        n = 0
        for row_id, blob in cursor:
            ids[n] = row_id
            vecs[n] = np.frombuffer(blob, np.float32)
            n += 1
        return ids[:n], vecs[:n]
