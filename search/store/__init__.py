"""Store backends behind one interface."""

from __future__ import annotations

from pathlib import Path

from search.store.base import Retrieval, Store, StoreError, StoreUnavailable
from search.store.config import BackendConfig, remember, resolve
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

__all__ = ["BackendConfig", "Character", "CheckReport", "FaceTrack", "Keyframe", "Movie", "MovieBundle", "Retrieval",
           "Scene", "Shot", "Store", "StoreError", "StoreUnavailable", "TextSegment", "open_store"]


def open_store(library: str | Path, *, create: bool = False, backend: str | None = None, es_url: str | None = None,
               es_prefix: str | None = None) -> Store:
    """The library's store. The backend comes from the arguments, the environment or the folder's
    `backend.json` (see search.store.config); a new Elasticsearch library remembers its settings."""
    library = Path(library)
    cfg = resolve(library, backend=backend, es_url=es_url, es_prefix=es_prefix)
    if cfg.backend == "embedded":
        from search.store.embedded import EmbeddedStore

        return EmbeddedStore(library, create=create)
    from search.store.elastic import ElasticsearchStore

    store = ElasticsearchStore(library, url=cfg.es_url, prefix=cfg.es_prefix, create=create, shards=cfg.es_shards,
                               replicas=cfg.es_replicas, quantization=cfg.es_vectors, cache_mb=cfg.es_cache_mb)
    if create:
        remember(library, cfg)
    return store
