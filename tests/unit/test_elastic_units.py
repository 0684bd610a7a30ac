"""The Elasticsearch backend's pure parts: the deploy templates, backend resolution, run keys and
bulk chunking. (Behaviour against a real server: test_elastic.py and every `backend` test.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cinesearch.search.store import StoreError
from cinesearch.search.store import es_schema as S
from cinesearch.search.store.config import BackendConfig, remember, resolve
from cinesearch.search.store.elastic import _chunks_by_bytes, _rid, run_key
from cinesearch.search.store.records import Movie, MovieBundle, Shot
from cinesearch.settings import SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_templates_are_what_the_store_installs():
    shipped = json.loads((ROOT / "deploy/elasticsearch/templates.json").read_text())
    shipped.pop("_comment")
    assert shipped == S.index_templates()
    texts = shipped["cinesearch-texts"]["template"]
    assert texts["mappings"]["properties"]["text_384"]["index_options"]["type"] == "int8_hnsw"
    assert texts["settings"]["analysis"]["analyzer"]["cinesearch_text"]["filter"][-1] == "porter_stem"


def test_backend_is_chosen_by_flag_then_environment_then_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("CINESEARCH_BACKEND", raising=False)
    monkeypatch.delenv("CINESEARCH_ES_URL", raising=False)
    assert resolve(tmp_path).backend == "embedded"
    remember(tmp_path, BackendConfig(backend="elasticsearch", es_url="http://a:9200", es_prefix="films"))
    assert resolve(tmp_path) == BackendConfig("elasticsearch", "http://a:9200", "films")
    monkeypatch.setenv("CINESEARCH_ES_URL", "http://b:9200")
    assert resolve(tmp_path).es_url == "http://b:9200"
    assert resolve(tmp_path, es_url="http://c:9200", backend="embedded").backend == "embedded"
    monkeypatch.setenv("CINESEARCH_BACKEND", "solr")   # bad values are refused by the one settings object
    with pytest.raises(SettingsError, match="CINESEARCH_BACKEND='solr': must be one of embedded, elasticsearch"):
        resolve(tmp_path)
    monkeypatch.setenv("CINESEARCH_BACKEND", "elasticsearch")
    monkeypatch.setenv("CINESEARCH_ES_REPLICAS", "two")
    with pytest.raises(SettingsError, match="CINESEARCH_ES_REPLICAS"):
        resolve(tmp_path)
    monkeypatch.delenv("CINESEARCH_ES_REPLICAS")
    with pytest.raises(StoreError, match="unknown backend 'solr'"):
        resolve(tmp_path, backend="solr")
    (tmp_path / "backend.json").write_text("{broken")
    with pytest.raises(StoreError, match="unreadable backend configuration"):
        resolve(tmp_path)


def _bundle(fp: str, n: int) -> MovieBundle:
    movie = Movie(id="m", source="/v.mp4", content_hash="h", fingerprint=fp, profile="fast", duration=1.0,
                  n_frames=25, media={}, meta={})
    return MovieBundle(movie, [Shot(i, i, i + 1, i, i + 1) for i in range(n)], [], 1, 1)


def test_ids_and_runs_are_deterministic_so_a_repeated_write_overwrites():
    assert run_key(_bundle("f", 2)) == run_key(_bundle("f", 2))
    assert run_key(_bundle("f", 2)) != run_key(_bundle("g", 2)) != run_key(_bundle("g", 3))
    ids = {_rid("m", "r", "shot", i) for i in range(10_000)}
    assert len(ids) == 10_000 and all(0 <= i < 2**63 for i in ids)
    assert _rid("m", "r", "shot", 1) == _rid("m", "r", "shot", 1) != _rid("m", "r", "text", 1)


def test_bulk_chunks_respect_the_byte_cap_and_keep_order():
    items = [(b"h" * 10, b"s" * n) for n in np.random.default_rng(0).integers(1, 500, 200)]
    chunks = list(_chunks_by_bytes(items, 1000))
    assert [i for c in chunks for i in c] == items
    assert all(sum(len(h) + len(s) + 2 for h, s in c) <= 1000 for c in chunks if len(c) > 1)
    assert list(_chunks_by_bytes([(b"h", b"x" * 5000)], 1000)) == [[(b"h", b"x" * 5000)]]   # one big doc alone


def test_movie_cache_cuts_windows_like_the_store_and_keeps_to_its_budget():
    from cinesearch.search.store.movie_cache import MovieCache, size_of, window
    from cinesearch.search.store.records import TextSegment

    shots = [Shot(i, i, i + 1, i, i + 1) for i in range(10)]
    texts = [TextSegment("subtitle", "s", i, i + 1, f"line {i}", first_shot=i, last_shot=i + 1,
                         vector=np.ones(4, np.float32)) for i in range(9)]
    texts.append(TextSegment("plot", "p", None, None, "the plot"))          # not placed: never in a window
    cut_shots, cut_texts = window((shots, texts), 3, 5)
    assert [s.index for s in cut_shots] == [3, 4, 5]
    assert [t.text for t in cut_texts] == ["line 2", "line 3", "line 4", "line 5"]   # overlapping shots 3..5
    assert window((shots, texts), 20, 30) == ([], [])
    cache = MovieCache(budget_bytes=2 * size_of(shots, texts) + 10)
    for key in (("a", "r1"), ("b", "r1"), ("c", "r1")):
        cache.put(key, shots, texts)
    assert cache.get(("a", "r1")) is None and cache.get(("c", "r1")) is not None      # least recent left
    assert cache.get(("c", "r2")) is None                                             # another run: a miss
    assert cache.used <= cache.budget
    MovieCache(0).put(("a", "r"), shots, texts)                                      # budget 0: nothing kept
