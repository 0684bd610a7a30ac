"""Store backends behind one set of protocols (reader, writer, admin) and the one factory, `open_store`."""

from __future__ import annotations

from pathlib import Path

from cinesearch.search.store.base import (
    BM25,
    Retrieval,
    Store,
    StoreAdmin,
    StoreError,
    StoreReader,
    StoreUnavailable,
    StoreWriter,
    VectorKind,
)
from cinesearch.search.store.config import BackendConfig, remember, resolve
from cinesearch.search.store.records import (
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

__all__ = ["BM25", "BackendConfig", "Character", "CheckReport", "FaceTrack", "Keyframe", "Movie", "MovieBundle",
           "Retrieval", "Scene", "Shot", "Store", "StoreAdmin", "StoreError", "StoreReader", "StoreUnavailable",
           "StoreWriter", "TextSegment", "VectorKind", "open_store"]


def open_store(library: str | Path, *, create: bool = False, backend: str | None = None, es_url: str | None = None,
               es_prefix: str | None = None, es_shards: int | None = None, es_replicas: int | None = None,
               remember_backend: bool = True) -> Store:
    """The library's store: the one place a backend is constructed. The backend comes from the
    arguments, the environment (cinesearch.settings) or the folder's `backend.json` (see
    search.store.config); a new Elasticsearch library remembers its settings."""
    library = Path(library)
    cfg = resolve(library, backend=backend, es_url=es_url, es_prefix=es_prefix, es_shards=es_shards,
                  es_replicas=es_replicas)
    if cfg.backend == "embedded":
        from cinesearch.search.store.embedded import EmbeddedStore

        return EmbeddedStore(library, create=create)
    from cinesearch.search.store.elastic import ElasticsearchStore

    store = ElasticsearchStore(library, url=cfg.es_url, prefix=cfg.es_prefix, create=create, shards=cfg.es_shards,
                               replicas=cfg.es_replicas, quantization=cfg.es_vectors, cache_mb=cfg.es_cache_mb)
    if create and remember_backend:
        remember(library, cfg)
    return store
