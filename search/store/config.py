"""Which backend a library uses: a command-line choice, else the environment, else what the
library folder remembers (`backend.json`, written when an Elasticsearch library is created or
migrated to), else the embedded backend."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from cinesearch import settings as _settings
from cinesearch.search.store.base import StoreError

BACKENDS = ("embedded", "elasticsearch")
CONFIG = "backend.json"


@dataclass(frozen=True)
class BackendConfig:
    backend: str = "embedded"
    es_url: str = "http://127.0.0.1:9200"
    es_prefix: str = "cinesearch"
    es_shards: int = 1
    es_replicas: int = 0
    es_vectors: str = "int8_hnsw"
    es_cache_mb: int = 256      # movies kept in memory by a serving process (0: off)


_FIELDS = ("backend", "es_url", "es_prefix", "es_shards", "es_replicas", "es_vectors", "es_cache_mb")


def saved(library: Path) -> BackendConfig | None:
    path = Path(library) / CONFIG
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return BackendConfig(**{k: v for k, v in data.items() if k in BackendConfig.__dataclass_fields__})
    except (OSError, ValueError, TypeError) as exc:
        raise StoreError(f"{path}: unreadable backend configuration ({exc})") from None


def resolve(library: Path, **explicit: object) -> BackendConfig:
    """The configuration for `library`; explicit values (None: not given) win over the environment
    (cinesearch.settings, already validated), which wins over the library's saved choice."""
    cfg = saved(library) or BackendConfig()
    env = _settings.get()
    for key in _FIELDS:
        value = explicit.get(key)
        if value is None and (key if key != "es_url" else "es_urls") in env.sources:
            value = getattr(env, key)
        if value is not None:
            field_type = type(getattr(BackendConfig(), key))
            try:
                cfg = replace(cfg, **{key: field_type(value)})
            except ValueError:
                raise StoreError(f"{key}: {value!r} is not a valid {field_type.__name__}") from None
    if cfg.backend not in BACKENDS:
        raise StoreError(f"unknown backend {cfg.backend!r} (available: {', '.join(BACKENDS)})")
    return cfg


def remember(library: Path, cfg: BackendConfig) -> None:
    """Make `cfg` the library folder's default (atomic replace)."""
    path = Path(library) / CONFIG
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(cfg), indent=2) + "\n")
    os.replace(tmp, path)
