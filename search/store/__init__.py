"""Store backends behind one interface."""

from __future__ import annotations

from pathlib import Path

from search.store.base import Store, StoreError
from search.store.records import (
    Character,
    CheckReport,
    FaceTrack,
    Keyframe,
    Movie,
    MovieBundle,
    Scene,
    Shot,
    TextSegment,
)

__all__ = ["Character", "CheckReport", "FaceTrack", "Keyframe", "Movie", "MovieBundle", "Scene", "Shot", "Store",
           "StoreError", "TextSegment", "open_store"]


def open_store(library: str | Path, *, create: bool = False, backend: str = "embedded") -> Store:
    if backend != "embedded":
        raise StoreError(f"unknown backend {backend!r} (available: embedded)")
    from search.store.embedded import EmbeddedStore

    return EmbeddedStore(Path(library), create=create)
