"""The store interface. The embedded (SQLite + files) backend implements it now; an Elasticsearch
backend implements the same methods later, so callers never change."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from pathlib import Path

from search.store.records import CheckReport, Movie, MovieBundle, Scene, Shot, TextSegment


class StoreError(Exception):
    """A library that cannot be used as asked (missing, locked, from a newer version)."""


class Store(ABC):
    root: Path

    @abstractmethod
    def writer(self) -> AbstractContextManager[None]:
        """Hold the single-writer lock for the duration of a write session."""

    @abstractmethod
    def get_movie(self, movie_id: str) -> Movie | None: ...

    @abstractmethod
    def list_movies(self) -> list[Movie]: ...

    @abstractmethod
    def get_shots(self, movie_id: str) -> list[Shot]: ...

    @abstractmethod
    def get_scenes(self, movie_id: str) -> list[Scene]: ...

    @abstractmethod
    def get_texts(self, movie_id: str) -> list[TextSegment]: ...

    @abstractmethod
    def staging_dir(self, movie_id: str) -> Path:
        """A scratch folder on the library's filesystem for one movie's in-progress work."""

    @abstractmethod
    def put_movie(self, bundle: MovieBundle, staged_thumbs: Path) -> None:
        """Replace the movie atomically: readers see the old version or the new, never a mix."""

    @abstractmethod
    def remove_movie(self, movie_id: str) -> bool: ...

    @abstractmethod
    def cached_hash(self, path: str, size: int, mtime_ns: int) -> str | None: ...

    @abstractmethod
    def check(self) -> CheckReport: ...

    @abstractmethod
    def collect_garbage(self) -> list[str]:
        """Remove leftovers of interrupted runs that no committed movie refers to."""

    @abstractmethod
    def close(self) -> None: ...
