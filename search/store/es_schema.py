"""Index layout of the Elasticsearch backend: names, settings and mappings.

Every logical index (movies, shots, texts, scenes, tracks) is an alias over a numbered physical
index (`<prefix>-shots` -> `<prefix>-shots-000001`), created from an index template; a whole-library
rebuild (`cinesearch migrate`) fills fresh physical indices and swaps all aliases in one request.
`deploy/elasticsearch/templates.json` is this module's output for the default prefix (a test keeps
them equal), for operators who create the templates themselves.

Only what is searched or filtered is mapped (`dynamic: false`); everything else rides in `_source`.
Vector fields are named `<kind>_<dim>` (text_384, appearance_1280, face_128, visual_512 for CLIP
ViT-B/32) and added to the mapping when a new dimension first arrives, as the embedded backend keeps
one faiss index per (kind, dimension). Vectors are L2-normalised, so similarity is `dot_product`.
"""

from __future__ import annotations

from typing import Any

LOGICAL = ("movies", "shots", "texts", "scenes", "tracks")
# which logical index holds each vector kind
VECTOR_HOME = {"text": "texts", "visual": "shots", "appearance": "shots", "face": "tracks"}
DEFAULT_VECTORS = {("text", 384), ("appearance", 1280), ("visual", 512), ("face", 128)}
QUANTIZATIONS = ("int8_hnsw", "hnsw")


def vector_field(kind: str, dim: int) -> str:
    return f"{kind}_{dim}"


def vector_mapping(dim: int, quantization: str = "int8_hnsw") -> dict[str, Any]:
    return {"type": "dense_vector", "dims": dim, "index": True, "similarity": "dot_product",
            "index_options": {"type": quantization, "m": 16, "ef_construction": 100}}


# The same words as the embedded backend's FTS5 tokenizer (unicode61 + porter, diacritics folded):
# no stop-word list, so both backends score the same terms.
TEXT_ANALYSIS = {"analyzer": {"cinesearch_text": {
    "type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "porter_stem"]}}}

_K = {"type": "keyword"}
_I = {"type": "integer"}
_F = {"type": "float"}
_OWNED = {"movie_id": _K, "run": _K, "n": _I}   # n: position in the movie (paging order)


def mappings(quantization: str = "int8_hnsw") -> dict[str, dict[str, Any]]:
    def vectors(name: str) -> dict[str, Any]:
        return {vector_field(k, d): vector_mapping(d, quantization)
                for k, d in sorted(DEFAULT_VECTORS) if VECTOR_HOME[k] == name}

    props = {
        "movies": {"id": _K, "run": _K, "title": {"type": "text", "fields": {"raw": _K}}, "year": _I,
                   "genres": _K, "keywords": _K, "cast": _K, "fingerprint": _K, "duration": _F},
        "shots": {**_OWNED, "idx": _I, "start": _F, "end": _F, **vectors("shots")},
        "texts": {**_OWNED, "kind": _K, "start": _F, "end": _F, "first_shot": _I, "last_shot": _I,
                  "body": {"type": "text", "analyzer": "cinesearch_text"}, **vectors("texts")},
        "scenes": {**_OWNED, "idx": _I},
        "tracks": {**_OWNED, "shot": _I, "kind": _K, **vectors("tracks")},
    }
    return {name: {"dynamic": False, "properties": p} for name, p in props.items()}


def settings(name: str, shards: int, replicas: int) -> dict[str, Any]:
    s: dict[str, Any] = {"number_of_shards": shards if name != "movies" else 1, "number_of_replicas": replicas}
    if name == "texts":
        s["analysis"] = TEXT_ANALYSIS
    return s


def index_templates(prefix: str = "cinesearch", shards: int = 1, replicas: int = 0,
                    quantization: str = "int8_hnsw") -> dict[str, dict[str, Any]]:
    """Composable index templates (PUT _index_template/<name>) for every logical index."""
    maps = mappings(quantization)
    return {f"{prefix}-{name}": {"index_patterns": [f"{prefix}-{name}-*"], "priority": 100,
                                 "template": {"settings": settings(name, shards, replicas), "mappings": maps[name]}}
            for name in LOGICAL}


def physical(prefix: str, name: str, number: int) -> str:
    return f"{prefix}-{name}-{number:06d}"
