"""faiss indexes over the catalogue's vectors, one per (kind, dimension).

The catalogue (SQLite) holds every vector as a blob and is the truth; an index file is a derived,
rebuildable copy. Each index records the catalogue's `vectors_generation` it reflects. Every write
to the catalogue bumps the generation in the same transaction, then updates the indexes
incrementally; an index whose generation differs (a crash between the two steps, a reader that
has not reloaded) is rebuilt or reloaded before it answers.

The index type follows the number of vectors: exact flat search while small, HNSW when flat gets
slow, IVF-PQ when even a byte per dimension is too much. The HNSW graph keeps its vectors as 8-bit
scalar codes (a quarter of float32: 1.3 KB instead of 5 KB per 1280-d appearance vector) unless
CINESEARCH_FAISS_HNSW_SQ8=0; the catalogue still holds the exact vectors.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from cinesearch import settings
from cinesearch.models.device import on_gpu

KINDS = ("text", "visual", "appearance", "face")


@dataclass(frozen=True)
class IndexPolicy:
    flat_max: int = 50_000        # exact search up to here (about 5 ms per query at 384-d on 2 cores)
    hnsw_max: int = 400_000       # HNSW up to here; IVF-PQ beyond
    hnsw_sq8: bool = True         # HNSW over 8-bit codes ("hnsw_sq8") instead of float32 ("hnsw")
    hnsw_m: int = 32
    hnsw_ef_search: int = 64
    ivf_nprobe: int = 16
    tombstone_ratio: float = 0.2  # HNSW cannot delete: rebuild when this share is deleted

    def choose(self, n: int) -> str:
        if n <= self.flat_max:
            return "flat"
        if n <= self.hnsw_max:
            return "hnsw_sq8" if self.hnsw_sq8 else "hnsw"
        return "ivfpq"


GRAPHS = ("hnsw", "hnsw_sq8")   # index types that cannot delete: removed ids are tombstoned
SQ_RANGE_MARGIN = 0.1   # codes span the trained min..max widened by this share, so later additions fit


def _policy_from_env() -> IndexPolicy:
    env = settings.get()
    return IndexPolicy(flat_max=env.faiss_flat_max, hnsw_max=env.faiss_hnsw_max, hnsw_sq8=env.faiss_hnsw_sq8)


def _pq_m(dim: int) -> int:
    """Sub-quantizers for PQ: about 8 dimensions each, and a divisor of dim."""
    for m in range(max(1, dim // 8), 0, -1):
        if dim % m == 0:
            return m
    return 1


class Rows(Protocol):
    """One kind's vectors as the catalogue holds them, read a part at a time: a rebuild of a
    million 1280-d vectors would otherwise hold 5 GB of float32 (twice, while joining)."""

    def count(self) -> int: ...

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) in id order, at most `size` rows at a time."""
        ...

    def sample(self, n: int) -> np.ndarray:
        """Up to n vectors spread over all rows (the training set of a compressed index)."""
        ...


@dataclass(frozen=True)
class ArrayRows:
    """Rows already in memory."""

    ids: np.ndarray
    vectors: np.ndarray

    def count(self) -> int:
        return len(self.ids)

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for i in range(0, len(self.ids), size):
            yield self.ids[i:i + size], self.vectors[i:i + size]

    def sample(self, n: int) -> np.ndarray:
        return self.vectors[sample_positions(len(self.ids), n)]


def sample_positions(total: int, n: int) -> np.ndarray:
    """Sorted positions of a seeded random sample of n out of total (all when n >= total), so a
    rebuild trains the same index from the same rows."""
    if n >= total:
        return np.arange(total)
    return np.sort(np.random.default_rng(0).choice(total, n, replace=False))


def _training_size(kind: str, n: int) -> int:
    if kind == "hnsw_sq8":
        return 100_000
    if kind == "ivfpq":
        return max(100_000, 40 * _nlist(n))   # faiss wants >= 39 training points per list
    return 0


def _nlist(n: int) -> int:
    return int(min(max(16, 4 * math.sqrt(n)), max(16, n // 39)))


def empty_index(kind: str, dim: int, n: int, training: np.ndarray, policy: IndexPolicy) -> faiss.Index:
    """An index of `kind` for about n vectors, trained on `training` where its codes need it."""
    training = np.ascontiguousarray(training, np.float32).reshape(-1, dim)
    if kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, policy.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efSearch = policy.hnsw_ef_search
        return faiss.IndexIDMap2(hnsw)
    if kind == "hnsw_sq8":
        sq8 = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, policy.hnsw_m,  # type: ignore[arg-type]
                                faiss.METRIC_INNER_PRODUCT)
        sq8.hnsw.efSearch = policy.hnsw_ef_search
        faiss.downcast_index(sq8.storage).sq.rangestat_arg = SQ_RANGE_MARGIN  # type: ignore[attr-defined]
        sq8.train(training)
        return faiss.IndexIDMap2(sq8)
    nlist = _nlist(n)
    # 8-bit codes need 256 x 39 training points per sub-quantizer; use fewer bits below that.
    nbits = 8 if n >= 256 * 39 else max(4, int(math.log2(max(16, n // 39))))
    index = faiss.index_factory(dim, f"IVF{nlist},PQ{_pq_m(dim)}x{nbits}", faiss.METRIC_INNER_PRODUCT)
    index.train(training)
    faiss.extract_index_ivf(index).nprobe = policy.ivf_nprobe
    return index


def build_index(kind: str, rows: Rows, dim: int, policy: IndexPolicy, chunk: int = 20_000) -> faiss.Index:
    """A `kind` index over every row, filled a chunk at a time."""
    n = rows.count()
    want = _training_size(kind, n)
    index = empty_index(kind, dim, n, rows.sample(want) if want else np.zeros((0, dim), np.float32), policy)
    for ids, vectors in rows.chunks(chunk):
        index.add_with_ids(np.ascontiguousarray(vectors, np.float32).reshape(-1, dim),
                           np.ascontiguousarray(ids, np.int64))
    return index


def faiss_gpus() -> int:
    """GPUs faiss can search on: a faiss-gpu build that sees a device (0 with faiss-cpu)."""
    count = getattr(faiss, "get_num_gpus", None)
    return int(count()) if count is not None and hasattr(faiss, "StandardGpuResources") else 0


def search_on_gpu(index_type: str, gpus: int, cuda: bool) -> bool:
    """Whether an index searches on the GPU: when the device choice is CUDA and faiss-gpu sees
    one, the flat and IVF-PQ indexes do (faiss has no GPU form of HNSW, so graphs stay on the
    CPU). The file on disk is always the CPU index; the GPU copy is made on first search."""
    return cuda and gpus > 0 and index_type in ("flat", "ivfpq")


@contextlib.contextmanager
def _threads(n: int) -> Iterator[None]:
    """Run faiss on n OpenMP threads (0: its default). A handful of queries gains nothing from
    threads, and right after a torch call (the query encoder) torch's spinning OpenMP workers made
    a threaded flat search of 15k vectors take 14 ms instead of 0.7 ms on 2 cores."""
    if n <= 0:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class VectorIndex:
    """One faiss index file (`<kind>-<dim>.faiss`) with a small JSON sidecar: its type, the
    generation it reflects, and the ids deleted from an HNSW index but not yet rebuilt away."""

    def __init__(self, folder: Path, kind: str, dim: int, policy: IndexPolicy | None = None,
                 read_only: bool = False):
        self.folder = folder
        self.read_only = read_only     # a read-only library: indexes are built in memory, never saved
        self.kind = kind
        self.dim = dim
        self.policy = policy or _policy_from_env()
        self.path = folder / f"{kind}-{dim}.faiss"
        self.meta_path = folder / f"{kind}-{dim}.json"
        self.index: faiss.Index | None = None
        self.meta: dict = {}
        self._lock = threading.Lock()
        self._gpu: faiss.Index | None = None   # the GPU copy searched instead (search_on_gpu)
        self._gpu_resources: object | None = None

    # -- persistence ---------------------------------------------------------------------------
    def _read_meta(self) -> dict:
        try:
            return json.loads(self.meta_path.read_text())
        except (OSError, ValueError):
            return {}

    def load(self) -> bool:
        """Load from disk; False when there is no usable file."""
        meta = self._read_meta()
        if not meta or not self.path.is_file():
            return False
        try:
            index = faiss.read_index(str(self.path))
        except RuntimeError:
            return False
        self.index, self.meta = index, meta
        self._gpu = None
        self._tune()
        return True

    def save(self) -> None:
        assert self.index is not None
        self._gpu = None   # changed: copied to the GPU again on the next search
        if self.read_only:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".faiss.tmp")
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, self.path)
        self._gpu = None   # changed: copied to the GPU again on the next search
        self._write_meta()   # meta last: a crash in between leaves a stale generation

    def _write_meta(self) -> None:
        tmp = self.meta_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.meta))
        os.replace(tmp, self.meta_path)

    def _tune(self) -> None:
        if self.index is None:
            return
        inner = faiss.downcast_index(self.index.index) if isinstance(self.index, faiss.IndexIDMap2) else None
        if isinstance(inner, faiss.IndexHNSW):
            inner.hnsw.efSearch = self.policy.hnsw_ef_search
        if self.meta.get("type") == "ivfpq":
            faiss.extract_index_ivf(self.index).nprobe = self.policy.ivf_nprobe

    @property
    def generation(self) -> int:
        return int(self.meta.get("generation", -1))

    @property
    def size(self) -> int:
        return 0 if self.index is None else int(self.index.ntotal) - len(self.meta.get("deleted", []))

    # -- building ------------------------------------------------------------------------------
    def rebuild(self, rows: Rows, generation: int) -> None:
        kind = self.policy.choose(rows.count())
        self.index = build_index(kind, rows, self.dim, self.policy)
        self.meta = {"type": kind, "generation": generation, "dim": self.dim, "deleted": []}
        self.save()

    def update(self, remove: Iterable[int], add_ids: np.ndarray, add_vectors: np.ndarray, generation: int,
               all_rows: Callable[[], Rows]) -> None:
        """Apply one committed change. Falls back to a rebuild from the catalogue (`all_rows`) when
        the index is missing or stale, when its type no longer fits its size, or when HNSW has
        collected too many deletions."""
        remove = np.fromiter(remove, np.int64)
        if self.index is None and not self.load():
            self.rebuild(all_rows(), generation)
            return
        if self.generation == generation:   # a reader rebuilt it from the committed catalogue already
            return
        if self.generation != generation - 1:
            self.rebuild(all_rows(), generation)
            return
        assert self.index is not None   # loaded above
        kind = self.meta["type"]
        deleted = set(self.meta.get("deleted", []))
        if len(remove):
            if kind in GRAPHS:
                deleted.update(int(i) for i in remove)
            else:
                self.index.remove_ids(faiss.IDSelectorBatch(remove))
        expected = self.size - (len(remove) if kind in GRAPHS else 0) + len(add_ids)
        too_many_dead = kind in GRAPHS and len(deleted) > self.policy.tombstone_ratio * max(1, self.index.ntotal)
        if self.policy.choose(expected) != kind or too_many_dead:
            self.rebuild(all_rows(), generation)
            return
        if len(add_ids):
            self.index.add_with_ids(np.ascontiguousarray(add_vectors, np.float32).reshape(-1, self.dim),
                                    np.ascontiguousarray(add_ids, np.int64))
        self.meta["deleted"] = sorted(deleted)
        self.meta["generation"] = generation
        self.save()

    def mark_generation(self, generation: int) -> None:
        """Nothing of this index changed in a write; record that it is current."""
        if self.index is None and not self.load():
            return
        if self.generation == generation - 1:
            self.meta["generation"] = generation
            self._write_meta()

    # -- search --------------------------------------------------------------------------------
    def _gpu_copy(self) -> faiss.Index | None:
        if self._gpu is None and self.index is not None and \
                search_on_gpu(self.meta.get("type", ""), faiss_gpus(), on_gpu()):
            self._gpu_resources = faiss.StandardGpuResources()
            self._gpu = faiss.index_cpu_to_gpu(self._gpu_resources, 0, self.index)
        return self._gpu

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) for each query row; ids are -1 where fewer than k exist."""
        q = np.ascontiguousarray(np.atleast_2d(queries), np.float32)
        if self.index is None or self.index.ntotal == 0:
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        k = min(k, int(self.index.ntotal))
        deleted = self.meta.get("deleted", [])
        with self._lock, _threads(1 if len(q) <= 8 else 0):
            gpu = None if deleted else self._gpu_copy()
            if gpu is not None:
                scores, ids = gpu.search(q, k)
            elif deleted:
                sel = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.asarray(deleted, np.int64)))
                params = faiss.SearchParametersHNSW(sel=sel,  # type: ignore[attr-defined]
                                                    efSearch=self.policy.hnsw_ef_search)
                scores, ids = self.index.search(q, k, params=params)
            else:
                scores, ids = self.index.search(q, k)
        return scores, ids
