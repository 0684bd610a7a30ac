"""The store interface. The embedded (SQLite + faiss + files) and the Elasticsearch backends both
implement it, so the indexer and the query engine never know which one they talk to."""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from cinesearch.errors import Unavailable
from cinesearch.search.store.records import (
    Character,
    CheckReport,
    FaceTrack,
    Movie,
    MovieBundle,
    Scene,
    Shot,
    TextSegment,
)


class StoreError(Unavailable):
    """A library that cannot be used as asked (missing, locked, from a newer version)."""


class StoreUnavailable(StoreError):
    """The backend's server cannot be reached or is overloaded: nothing was changed, retry later
    (the CLI exits 2, the API answers 503)."""


class VectorKind(StrEnum):
    """The vector sets a library holds. A StrEnum, so "text" still names TEXT, while a misspelt
    kind is a TypeError at the call, never an empty answer."""
    TEXT = "text"               # MiniLM vectors of texts (text ids)
    VISUAL = "visual"           # CLIP image vectors of shots (shot ids)
    APPEARANCE = "appearance"   # EfficientNet features of shots (shot ids)
    FACE = "face"               # dlib face vectors of tracks (track ids)

    @classmethod
    def of(cls, kind: object) -> VectorKind:
        try:
            return cls(str(kind)) if isinstance(kind, str) else cls(kind)  # type: ignore[arg-type]
        except ValueError:
            raise TypeError(f"unknown vector kind {kind!r} (known: {', '.join(k.value for k in cls)})") from None


BM25 = "bm25"


@dataclass(frozen=True)
class Retrieval:
    """One first-stage search: BM25 over texts (kind "bm25": words, phrases) or the nearest vectors
    of a VectorKind."""
    kind: str
    k: int
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    vector: np.ndarray | None = None
    movie_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind != BM25:
            object.__setattr__(self, "kind", VectorKind.of(self.kind))


class StoreReader(ABC):
    """What the query engine and the pages read: movies, shots, texts, tracks and first-stage
    retrieval. Implementations are safe to call from several threads at once."""
    root: Path
    backend: str = ""          # "embedded" | "elasticsearch"

    @abstractmethod
    def get_movie(self, movie_id: str) -> Movie | None: ...

    @abstractmethod
    def list_movies(self) -> list[Movie]: ...

    @abstractmethod
    def get_shots(self, movie_id: str, first: int = 0, last: int | None = None, *,
                  appearance: bool = True) -> list[Shot]:
        """The movie's shots, or those with index first..last (inclusive); `appearance=False` leaves
        out the 1280-d appearance vectors (the focus step reads only CLIP vectors)."""

    @abstractmethod
    def get_scenes(self, movie_id: str) -> list[Scene]: ...

    @abstractmethod
    def get_texts(self, movie_id: str, vectors: bool = False, first_shot: int | None = None,
                  last_shot: int | None = None) -> list[TextSegment]:
        """The movie's texts; with a shot range, only the texts placed on those shots."""

    @abstractmethod
    def get_tracks(self, movie_id: str) -> list[FaceTrack]:
        """The movie's face tracks, in shot order."""

    @abstractmethod
    def lookup_tracks(self, ids: list[int]) -> dict[int, tuple[str, FaceTrack]]:
        """Track row ids (what face vector search returns) -> (movie id, track)."""

    @abstractmethod
    def get_characters(self, movie_id: str) -> list[Character]:
        """The cast of movie.json with their portraits' faces."""

    @abstractmethod
    def lookup_shots(self, ids: list[int]) -> dict[int, tuple[str, int]]:
        """Shot row ids (what vector search returns) -> (movie id, shot index)."""

    @abstractmethod
    def lookup_texts(self, ids: list[int]) -> dict[int, tuple[str, TextSegment]]:
        """Text row ids -> (movie id, text)."""

    @abstractmethod
    def generation(self) -> int:
        """A number that changes whenever any movie is written or removed (caches key on it)."""

    @abstractmethod
    def text_search(self, words: list[str], phrases: list[str], k: int,
                    movie_id: str | None = None) -> list[tuple[int, float]]:
        """BM25 keyword search over all texts: (text id, score), best first."""

    @abstractmethod
    def vector_search(self, kind: VectorKind | str, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, row ids) of the k nearest vectors of `kind` for each L2-normalised query row, by
        inner product. An unknown kind is a TypeError (VectorKind.of)."""

    def retrieve(self, requests: list[Retrieval]) -> list[list[tuple[int, float]]]:
        """Run several first-stage searches, (row id, score) best first for each; a vector kind or
        dimension the library does not hold gives no hits. Backends with a server answer them in
        one round trip; here vector queries of one kind are batched."""
        out: list[list[tuple[int, float]]] = [[] for _ in requests]
        groups: dict[tuple[str, int, int], list[int]] = {}
        for i, r in enumerate(requests):
            if r.kind == BM25:
                out[i] = self.text_search(list(r.words), list(r.phrases), r.k, r.movie_id)
            elif r.vector is not None:
                groups.setdefault((r.kind, len(r.vector), r.k), []).append(i)
        for (kind, _, k), idx in groups.items():
            try:
                vectors = [v for i in idx if (v := requests[i].vector) is not None]
                scores, ids = self.vector_search(kind, np.stack(vectors), k)
            except (KeyError, ValueError):
                continue
            for i, srow, irow in zip(idx, scores, ids, strict=True):
                out[i] = [(int(j), float(s)) for s, j in zip(srow, irow, strict=True) if j >= 0]
        return out

    def read_windows(self, windows: list[tuple[str, int, int]]) -> list[tuple[list[Shot], list[TextSegment]]]:
        """For each (movie, first, last): its shots first..last without appearance vectors and the
        texts placed on them with their vectors, what the focus step reads of a candidate. Backends
        with a server fetch every window in one round trip; here one after the other."""
        out = []
        for movie_id, first, last in windows:
            shots = self.get_shots(movie_id, first, last, appearance=False)
            texts = self.get_texts(movie_id, vectors=True, first_shot=shots[0].index,
                                   last_shot=shots[-1].index) if shots else []
            out.append((shots, texts))
        return out

    def describe_shots(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[Shot, list[TextSegment]]]:
        """Shots named by (movie, index), without vectors, each with the texts placed on it (no
        vectors): what a result card shows. Keys with no such shot are left out. Backends with a
        server answer in one round trip; here one key after the other."""
        out: dict[tuple[str, int], tuple[Shot, list[TextSegment]]] = {}
        for movie_id, idx in dict.fromkeys(keys):
            shots = self.get_shots(movie_id, idx, idx, appearance=False)
            if shots:
                out[(movie_id, idx)] = (shots[0], self.get_texts(movie_id, first_shot=idx, last_shot=idx))
        return out

    @abstractmethod
    def cached_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The content hash recorded for a file of this size and mtime, if any (saves rehashing)."""

    @abstractmethod
    def close(self) -> None: ...


class StoreWriter(ABC):
    """What the indexer writes: one movie at a time, atomically, under the single-writer lock."""

    @abstractmethod
    def writer(self) -> AbstractContextManager[None]:
        """Hold the single-writer lock for the duration of a write session."""

    @abstractmethod
    def staging_dir(self, movie_id: str) -> Path:
        """A scratch folder on the library's filesystem for one movie's in-progress work."""

    @abstractmethod
    def put_movie(self, bundle: MovieBundle, staged_thumbs: Path) -> None:
        """Replace the movie atomically: readers see the old version or the new, never a mix."""

    @abstractmethod
    def remove_movie(self, movie_id: str) -> bool: ...


class StoreAdmin(ABC):
    """Keeping a library sound: integrity checks and the removal of interrupted runs' leftovers."""

    @abstractmethod
    def check(self) -> CheckReport: ...

    @abstractmethod
    def collect_garbage(self) -> list[str]:
        """Remove leftovers of interrupted runs that no committed movie refers to."""


class Store(StoreReader, StoreWriter, StoreAdmin):
    """A whole backend: every store implements the three parts; callers ask for the part they use.
    tests/integration/test_store_contract.py is the suite every backend passes."""

    def discard_staging(self) -> list[str]:
        """Throw away interrupted index runs (what `check` warns about as such): their movies are
        then indexed from the start by the next `cinesearch index`. Under the writer lock."""
        staging = self.staging_dir("_").parent
        removed = []
        for left in sorted(staging.iterdir()) if staging.is_dir() else []:
            shutil.rmtree(left, ignore_errors=True)
            removed.append(f"staging/{left.name}")
        return removed

    def refresh_indexes(self) -> list[str]:
        """Bring derived search indexes up to date with the catalogue now rather than on the next
        search (the embedded backend's faiss files); the names of those rebuilt."""
        return []
