"""The Elasticsearch backend: the catalogue, BM25 and kNN live in a cluster; thumbnails, staging
and caches stay in the library folder (a shared filesystem when several hosts serve it).

Visibility: every child document (shot, text, scene, track) carries its movie's `run`, a key of
one write of that movie. A movie's document in `<prefix>-movies` names its committed run and is
written last, so it is the commit point: readers filter children by the committed run and never
see half a movie; the previous run's documents are deleted after the commit (and by `check
--fix` if a crash left them). Document ids are derived from (movie, run, kind, position), so a
write that is interrupted and repeated overwrites instead of duplicating.

Row ids are those ids as 63-bit integers: what `vector_search` and `text_search` return and the
`lookup_*` methods take, as with the embedded backend's SQLite row ids.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import orjson

from cinesearch.search.store import es_schema as S
from cinesearch.search.store.base import Retrieval, Store, StoreError, StoreUnavailable
from cinesearch.search.store.integrity import check_movie, orphan_runs, writer_lock
from cinesearch.search.store.media_store import FolderMediaStore
from cinesearch.search.store.movie_cache import MovieCache, window
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

log = logging.getLogger("cinesearch.store.elastic")

CHILDREN = ("shots", "texts", "scenes", "tracks")
PAGE = 2000                    # documents per search_after page
BULK_BYTES = 4 << 20           # one bulk request at most (back-pressure: one request in flight)
BULK_RETRIES = 6               # per document rejected with 429/5xx, with exponential backoff
GENERATION_TTL = 1.0           # seconds a read of the library generation is reused
MAX_CANDIDATES = 10_000        # Elasticsearch's ceiling for knn.num_candidates
HIT_FIELDS = ["responses.hits.hits._id", "responses.hits.hits._source", "responses.hits.hits._score",
              "responses.error", "responses.took"]   # what the client parses of an _msearch answer ("took": every
# response keeps its place in the list even when it has no hits)
WHOLE_MOVIE_TEXTS = 4000       # movies read whole into the movie cache (larger ones: window by window)
SEEN_MAX = 20_000              # search hits kept for the lookups that follow them
# what search hits carry: enough for the engine's lookups of them (no vectors)
HIT_SOURCE: dict[str, Any] = {"texts": {"excludes": ["vectors"]}, "shots": ["movie_id", "run", "idx"],
                              "tracks": ["movie_id", "run"]}
_F = TypeVar("_F", bound=Callable[..., Any])


def _guarded(fn: _F) -> _F:
    """Translate client failures into store errors: unreachable or overloaded -> StoreUnavailable
    (exit 2 / HTTP 503), a refused request -> StoreError."""
    from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, TransportError

    @functools.wraps(fn)
    def wrapper(self: ElasticsearchStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except (ConnectionError, ConnectionTimeout) as exc:
            raise StoreUnavailable(f"Elasticsearch at {self.url} is unreachable ({type(exc).__name__}); start it "
                                   "or check --es-url / CINESEARCH_ES_URL") from None
        except ApiError as exc:
            if exc.status_code in (429, 502, 503, 504):
                raise StoreUnavailable(f"Elasticsearch at {self.url} is unavailable ({exc.status_code} "
                                       f"{exc.error}); retry later") from None
            raise StoreError(f"Elasticsearch at {self.url} refused a request: {exc.status_code} {exc.error}: "
                             f"{_reason(exc.body)}") from None
        except TransportError as exc:
            raise StoreUnavailable(f"Elasticsearch at {self.url}: {exc}") from None
    return wrapper  # type: ignore[return-value]


class ElasticsearchStore(Store):
    backend = "elasticsearch"

    def __init__(self, root: Path, *, url: str, prefix: str = "cinesearch", create: bool = False,
                 shards: int = 1, replicas: int = 0, quantization: str = "int8_hnsw", timeout: float = 30.0,
                 cache_mb: int = 256):
        from elasticsearch import Elasticsearch
        from elasticsearch.serializer import OrjsonSerializer

        if quantization not in S.QUANTIZATIONS:
            raise StoreError(f"unknown vector quantization {quantization!r} (use one of {', '.join(S.QUANTIZATIONS)})")
        self.root = Path(root).resolve()
        self.media = FolderMediaStore(self.root)
        self.url, self.prefix = url, prefix
        self.shards, self.replicas, self.quantization = shards, replicas, quantization
        hosts = [u.strip() for u in url.split(",") if u.strip()]   # several nodes: the client fails over
        self.es = Elasticsearch(hosts, serializer=OrjsonSerializer(), request_timeout=timeout, max_retries=2,
                                retry_on_status=(502, 503, 504), retry_on_timeout=True)
        self._fields: dict[str, set[str]] = {}
        self._gen: tuple[float, int] | None = None
        self._live_cache: tuple[int, dict[str, Movie]] | None = None
        self._committed: tuple[str, str] | None = None   # (movie, run) of the last commit this process made
        self._seen: dict[tuple[str, int], dict[str, Any]] = {}   # (index, row id) -> source of a recent hit
        self._cache = MovieCache(cache_mb << 20)
        self._open(create)

    # -- setup -------------------------------------------------------------------------------
    def alias(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    @property
    def _state(self) -> str:
        return f"{self.prefix}-state"

    @_guarded
    def _open(self, create: bool) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root}: exists and is not a directory")
        self.es.info()
        if not self.es.indices.exists_alias(name=self.alias("movies")):
            if not create:
                raise StoreError(f"no cinesearch library {self.prefix!r} in Elasticsearch at {self.url} (run "
                                 "'cinesearch index' or 'cinesearch migrate --to elasticsearch' first)")
            self._create_indices(1)
            self._make_state()
        else:   # a cluster that just restarted answers before its shards are back: wait a little
            health = self.es.cluster.health(index=f"{self.prefix}-*", wait_for_status="yellow", timeout="30s")
            if health["status"] == "red":
                raise StoreUnavailable(f"Elasticsearch at {self.url}: the shards of library {self.prefix!r} are not "
                                       "available (cluster red); retry when the nodes are back")
        for sub in ("thumbs", "staging"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def _create_indices(self, number: int, *, with_aliases: bool = True) -> dict[str, str]:
        """Templates for this prefix, then one physical index per logical one (aliased when asked)."""
        from elasticsearch import BadRequestError

        for name, body in S.index_templates(self.prefix, self.shards, self.replicas, self.quantization).items():
            self.es.indices.put_index_template(name=name, **body)
        made = {}
        for name in S.LOGICAL:
            index = S.physical(self.prefix, name, number)
            try:
                self.es.indices.create(index=index, aliases={self.alias(name): {}} if with_aliases else None)
            except BadRequestError as exc:
                if exc.error != "resource_already_exists_exception":
                    raise
            made[name] = index
        self.es.cluster.health(index=list(made.values()), wait_for_status="yellow", timeout="60s")
        return made

    def _make_state(self) -> None:
        from elasticsearch import BadRequestError

        try:
            self.es.indices.create(index=self._state, settings={"number_of_shards": 1,
                                                                 "number_of_replicas": self.replicas},
                                   mappings={"dynamic": False, "properties": {"path": {"type": "keyword"}}})
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
        if not self.es.exists(index=self._state, id="generation"):
            self.es.index(index=self._state, id="generation", document={"value": 0}, refresh=True)

    def writer(self) -> contextlib.AbstractContextManager[None]:
        return writer_lock(self.root)

    def close(self) -> None:
        self.es.close()

    # -- generation and the committed runs ---------------------------------------------------
    @_guarded
    def generation(self) -> int:
        now = time.monotonic()
        if self._gen is None or now - self._gen[0] > GENERATION_TTL:
            doc = self.es.get(index=self._state, id="generation")
            self._gen = (now, int(doc["_source"]["value"]))
        return self._gen[1]

    def _bump_generation(self) -> int:
        resp = self.es.update(index=self._state, id="generation", script={"source": "ctx._source.value += 1"},
                              upsert={"value": 1}, retry_on_conflict=10, refresh=True, source=True)
        value = int(resp["get"]["_source"]["value"])
        self._gen = (time.monotonic(), value)
        return value

    def _movies(self) -> dict[str, Movie]:
        """Every committed movie (its document names the run readers may see), per generation."""
        gen = self.generation()
        if self._live_cache is None or self._live_cache[0] != gen:
            docs = self._scan(self.alias("movies"), {"match_all": {}}, sort="id", source={"excludes": ["characters"]})
            self._seen.clear()
            self._live_cache = (gen, {d["_source"]["id"]: _movie(d["_source"]) for d in docs})
        return self._live_cache[1]

    def _run(self, movie_id: str) -> str | None:
        m = self._movies().get(movie_id)
        if m is None:   # written by another process within the generation TTL: ask
            m = self.get_movie(movie_id)
        return m.run if m is not None else None

    def _is_live(self, src: dict[str, Any]) -> bool:
        movie_id, run = src.get("movie_id", ""), src.get("run")
        live = self._movies()
        m = live.get(movie_id)
        if m is not None and m.run == run:
            return True
        # A run this process does not know yet may have been committed since its view was read
        # (by another process, or by a writer thread while this search ran): the movie document
        # decides, and the view learns it.
        fresh = self.get_movie(movie_id)
        if fresh is None or fresh.run != run:
            return False
        live[movie_id] = fresh
        return True

    # -- reads -------------------------------------------------------------------------------
    def _scan(self, index: str, query: dict, *, sort: str, source: Any = True) -> list[dict[str, Any]]:
        """All hits of a query, in `sort` order, page by page (search_after on a unique field)."""
        out: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while True:
            kw: dict[str, Any] = {"search_after": after} if after is not None else {}
            resp = self.es.search(index=index, query=query, sort=[{sort: "asc"}], size=PAGE, source=source,
                                  track_total_hits=False, **kw)
            hits = resp["hits"]["hits"]
            out += hits
            if len(hits) < PAGE:
                return out
            after = hits[-1]["sort"]

    def _children(self, name: str, movie_id: str, extra: list[dict] | None = None, source: Any = True
                  ) -> list[dict[str, Any]]:
        run = self._run(movie_id)
        if run is None:
            return []
        query = {"bool": {"filter": [{"term": {"movie_id": movie_id}}, {"term": {"run": run}}, *(extra or [])]}}
        return [h["_source"] | {"_rid": int(h["_id"])} for h in self._scan(self.alias(name), query, sort="n",
                                                                            source=source)]

    @_guarded
    def get_movie(self, movie_id: str) -> Movie | None:
        from elasticsearch import NotFoundError

        try:
            doc = self.es.get(index=self.alias("movies"), id=movie_id, source_excludes=["characters"])
        except NotFoundError:
            return None
        return _movie(doc["_source"])

    @_guarded
    def list_movies(self) -> list[Movie]:
        return [self._movies()[k] for k in sorted(self._movies())]

    @_guarded
    def get_shots(self, movie_id: str, first: int = 0, last: int | None = None, *,
                  appearance: bool = True) -> list[Shot]:
        rng: dict[str, int] = {"gte": first}
        if last is not None:
            rng["lte"] = last
        source: Any = True if appearance else {"excludes": ["vectors.appearance_*"]}
        return [_shot(d) for d in self._children("shots", movie_id, [{"range": {"idx": rng}}], source)]

    @_guarded
    def get_scenes(self, movie_id: str) -> list[Scene]:
        return [Scene(d["idx"], d["start"], d["end"], d["first_shot"], d["last_shot"])
                for d in self._children("scenes", movie_id)]

    @_guarded
    def get_texts(self, movie_id: str, vectors: bool = False, first_shot: int | None = None,
                  last_shot: int | None = None) -> list[TextSegment]:
        extra = []
        if first_shot is not None or last_shot is not None:
            hi = 2**31 - 1 if last_shot is None else last_shot
            extra = [{"range": {"first_shot": {"lte": hi}}}, {"range": {"last_shot": {"gte": first_shot or 0}}}]
        source: Any = True if vectors else {"excludes": ["vectors"]}
        docs = self._children("texts", movie_id, extra, source)
        docs.sort(key=lambda d: (d.get("start") is None, d.get("start") or 0.0, d["n"]))
        return [_text(d, vectors) for d in docs]

    @_guarded
    def get_tracks(self, movie_id: str) -> list[FaceTrack]:
        docs = self._children("tracks", movie_id)
        docs.sort(key=lambda d: (d["shot"], d["start"], d["n"]))
        return [_track(d) for d in docs]

    @_guarded
    def read_windows(self, windows: list[tuple[str, int, int]]) -> list[tuple[list[Shot], list[TextSegment]]]:
        """Every window of a query in at most one `_msearch`. Movies of up to WHOLE_MOVIE_TEXTS texts
        are read whole and kept in the movie cache (CINESEARCH_ES_CACHE_MB), so later windows of
        them cost no round trip; larger ones, or all with the cache off, are read window by window."""
        movies = self._movies()
        runs = [self._run(movie_id) for movie_id, _, _ in windows]
        reads: dict[tuple[str, str, int, int | None], None] = {}
        for (movie_id, first, last), run in zip(windows, runs, strict=True):
            if run is None or self._cache.get((movie_id, run)) is not None:
                continue
            m = movies.get(movie_id)
            whole = self._cache.budget > 0 and m is not None and m.n_texts <= WHOLE_MOVIE_TEXTS
            reads[(movie_id, run, 0, None) if whole else (movie_id, run, first, last)] = None
        fetched = self._read_ranges(list(reads))
        for (movie_id, run, _, upto), read in fetched.items():
            if upto is None:
                self._cache.put((movie_id, run), *read)
        out: list[tuple[list[Shot], list[TextSegment]]] = []
        for (movie_id, first, last), run in zip(windows, runs, strict=True):
            entry: tuple[list[Shot], list[TextSegment]] | None = None if run is None else \
                (self._cache.get((movie_id, run)) or fetched.get((movie_id, run, 0, None)))
            if entry is not None:
                out.append(window(entry, first, last))
            else:
                out.append(fetched.get((movie_id, run or "", first, last), ([], [])))
        return out

    @_guarded
    def describe_shots(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[Shot, list[TextSegment]]]:
        """One `_msearch`: per key the shot and the texts on it, without vectors (a movie's whole
        read, as read_windows makes it, would cost far more for scattered single shots)."""
        wanted = [(m, i, run) for m, i in dict.fromkeys(keys) if (run := self._run(m)) is not None]
        searches: list[dict[str, Any]] = []
        for movie_id, idx, run in wanted:
            own = [{"term": {"movie_id": movie_id}}, {"term": {"run": run}}]
            searches += [{"index": self.alias("shots")},
                         {"query": {"bool": {"filter": [*own, {"term": {"idx": idx}}]}}, "size": 1,
                          "_source": {"excludes": ["vectors"]}, "track_total_hits": False},
                         {"index": self.alias("texts")},
                         {"query": {"bool": {"filter": [*own, {"range": {"first_shot": {"lte": idx}}},
                                                        {"range": {"last_shot": {"gte": idx}}}]}},
                          "sort": [{"n": "asc"}], "size": 100, "_source": {"excludes": ["vectors"]},
                          "track_total_hits": False}]
        answers = self.es.msearch(searches=searches, filter_path=HIT_FIELDS)["responses"] if searches else []
        out: dict[tuple[str, int], tuple[Shot, list[TextSegment]]] = {}
        for r, (movie_id, idx, _) in enumerate(wanted):
            shot_a, texts_a = _answered(answers[2 * r]), _answered(answers[2 * r + 1])
            hits = _hits(shot_a)
            if hits:
                texts = [_text(h["_source"] | {"_rid": int(h["_id"])}, False) for h in _hits(texts_a)]
                out[(movie_id, idx)] = (_shot(hits[0]["_source"] | {"_rid": int(hits[0]["_id"])}), texts)
        return out

    def _read_ranges(self, ranges: list[tuple[str, str, int, int | None]]
                     ) -> dict[tuple[str, str, int, int | None], tuple[list[Shot], list[TextSegment]]]:
        """Shots (no appearance vectors) and texts (with vectors) of (movie, run, first, last|None)
        ranges, in one `_msearch`; a range larger than a page is read page by page after it."""
        searches: list[dict[str, Any]] = []
        for movie_id, run, first, last in ranges:
            own = [{"term": {"movie_id": movie_id}}, {"term": {"run": run}}]
            shot_range = [] if last is None else [{"range": {"idx": {"gte": first, "lte": last}}}]
            text_range = [] if last is None else [{"range": {"first_shot": {"lte": last}}},
                                                  {"range": {"last_shot": {"gte": first}}}]
            common = {"sort": [{"n": "asc"}], "size": PAGE, "track_total_hits": False}
            searches += [{"index": self.alias("shots")},
                         {"query": {"bool": {"filter": own + shot_range}}, **common,
                          "_source": {"excludes": ["vectors.appearance_*"]}},
                         {"index": self.alias("texts")}, {"query": {"bool": {"filter": own + text_range}}, **common}]
        answers = self.es.msearch(searches=searches, filter_path=HIT_FIELDS)["responses"] if searches else []
        out = {}
        for r, key in enumerate(ranges):
            shots_a, texts_a = _answered(answers[2 * r]), _answered(answers[2 * r + 1])
            movie_id, run, first, last = key
            if len(_hits(shots_a)) >= PAGE or len(_hits(texts_a)) >= PAGE:
                shots = self.get_shots(movie_id, first, last, appearance=False)
                texts = self.get_texts(movie_id, vectors=True, first_shot=first, last_shot=last) if shots else []
                out[key] = (shots, texts)
                continue
            shots = [_shot(h["_source"] | {"_rid": int(h["_id"])}) for h in _hits(shots_a)]
            docs = [h["_source"] | {"_rid": int(h["_id"])} for h in _hits(texts_a)]
            docs.sort(key=lambda d: (d.get("start") is None, d.get("start") or 0.0, d["n"]))
            out[key] = (shots, [_text(d, True) for d in docs] if shots else [])
        return out

    @_guarded
    def get_characters(self, movie_id: str) -> list[Character]:
        from elasticsearch import NotFoundError

        try:
            doc = self.es.get(index=self.alias("movies"), id=movie_id, source_includes=["characters"])
        except NotFoundError:
            return []
        return [Character(c["name"], c.get("actor"), c.get("portrait"), _vec(c.get("face")))
                for c in doc["_source"].get("characters") or []]

    def _mget(self, name: str, ids: list[int], **source: Any) -> dict[int, dict[str, Any]]:
        """Documents by row id: those the last searches returned come from memory (their hits
        carried the same fields), the rest in one `_mget`."""
        wanted = sorted({int(i) for i in ids if i >= 0})
        out = {i: self._seen[(name, i)] for i in wanted if (name, i) in self._seen}
        missing = [i for i in wanted if i not in out]
        if missing:
            resp = self.es.mget(index=self.alias(name), ids=[str(i) for i in missing], **source)
            out.update({int(d["_id"]): d["_source"] for d in resp["docs"] if d.get("found")})
        return {i: d for i, d in out.items() if self._is_live(d)}

    @_guarded
    def lookup_shots(self, ids: list[int]) -> dict[int, tuple[str, int]]:
        found = self._mget("shots", ids, source_includes=["movie_id", "run", "idx"])
        return {i: (d["movie_id"], d["idx"]) for i, d in found.items()}

    @_guarded
    def lookup_texts(self, ids: list[int]) -> dict[int, tuple[str, TextSegment]]:
        docs = self._mget("texts", ids, source_excludes=["vectors"])
        return {i: (d["movie_id"], _text(d | {"_rid": i}, False)) for i, d in docs.items()}

    @_guarded
    def lookup_tracks(self, ids: list[int]) -> dict[int, tuple[str, FaceTrack]]:
        return {i: (d["movie_id"], _track(d | {"_rid": i})) for i, d in self._mget("tracks", ids).items()}

    # -- first-stage search ------------------------------------------------------------------
    @_guarded
    def text_search(self, words: list[str], phrases: list[str], k: int,
                    movie_id: str | None = None) -> list[tuple[int, float]]:
        return self.retrieve([Retrieval("bm25", k, tuple(words), tuple(phrases), movie_id=movie_id)])[0]

    @_guarded
    def vector_search(self, kind: str, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.atleast_2d(np.asarray(queries, np.float32))
        found = self.retrieve([Retrieval(kind, k, vector=row) for row in q])
        scores = np.full((len(q), k), -np.inf, np.float32)
        ids = np.full((len(q), k), -1, np.int64)
        for r, hits in enumerate(found):
            for c, (i, s) in enumerate(hits[:k]):
                ids[r, c], scores[r, c] = i, s
        return scores, ids

    @_guarded
    def retrieve(self, requests: list[Retrieval]) -> list[list[tuple[int, float]]]:
        """All first-stage searches of a query in one `_msearch`; hits of runs that are not
        committed (a movie being re-indexed) are dropped, and a search that lost hits that way is
        asked again once without those runs, so a re-index under way never empties an answer.
        Scores: BM25 as Lucene computes it with global term statistics (dfs), cosines for vectors."""
        out: list[list[tuple[int, float]]] = [[] for _ in requests]
        pending = list(range(len(requests)))
        exclude: dict[int, list[str]] = {}
        for attempt in range(2):
            searches: list[dict[str, Any]] = []
            slots: list[int] = []
            for i in pending:
                r = requests[i]
                body = self._request_body(r, exclude.get(i, []))
                if body is None:
                    continue
                header = {"index": self.alias("texts" if r.kind == "bm25" else S.VECTOR_HOME[r.kind])}
                if r.kind == "bm25":
                    header["search_type"] = "dfs_query_then_fetch"
                searches += [header, body]
                slots.append(i)
            if not searches:
                return out
            resp = self.es.msearch(searches=searches, filter_path=HIT_FIELDS)
            if len(self._seen) > SEEN_MAX:
                self._seen.clear()
            pending = []
            for i, answer in zip(slots, map(_answered, resp["responses"]), strict=True):
                vector = requests[i].kind != "bm25"
                home = "texts" if not vector else S.VECTOR_HOME[requests[i].kind]
                hits = _hits(answer)
                if home in ("texts", "shots"):   # what lookup_texts / lookup_shots will ask for next
                    self._seen.update(((home, int(h["_id"])), h["_source"]) for h in hits)
                live = [h for h in hits if self._is_live(h["_source"])]
                out[i] = [(int(h["_id"]), 2.0 * h["_score"] - 1.0 if vector else float(h["_score"])) for h in live]
                runs = {str(h["_source"].get("run")) for h in live}
                dead = sorted({str(h["_source"].get("run")) for h in hits} - runs)
                if dead and len(live) < requests[i].k and attempt == 0:
                    exclude[i] = dead
                    pending.append(i)
            if not pending:
                break
        return out

    def _request_body(self, r: Retrieval, exclude_runs: list[str] | None = None) -> dict[str, Any] | None:
        flt: list[dict[str, Any]] = [{"term": {"movie_id": r.movie_id}}] if r.movie_id else []
        if exclude_runs:
            flt.append({"bool": {"must_not": [{"terms": {"run": exclude_runs}}]}})
        if r.kind == "bm25":
            words = " ".join(w for w in r.words if w.strip())
            phrases = [p for p in r.phrases if p.strip()]
            if not words and not phrases:
                return None
            must: list[dict] = [{"match_phrase": {"body": p}} for p in phrases]
            should = [{"match": {"body": {"query": words}}}] if words else []
            query = {"bool": {"must": must, "should": should, "filter": flt}} if phrases else \
                {"bool": {"must": should, "filter": flt}}
            return {"query": query, "size": r.k, "_source": HIT_SOURCE["texts"], "track_total_hits": False}
        if r.vector is None:
            return None
        vec = np.asarray(r.vector, np.float32).reshape(-1)
        field = S.vector_field(r.kind, len(vec))
        if field not in self._mapped(S.VECTOR_HOME[r.kind]) or r.k <= 0:
            return None
        knn: dict[str, Any] = {"field": field, "query_vector": vec, "k": r.k,
                               "num_candidates": min(MAX_CANDIDATES, max(100, 2 * r.k))}
        if flt:
            knn["filter"] = flt
        return {"knn": knn, "size": r.k, "_source": HIT_SOURCE[S.VECTOR_HOME[r.kind]]}

    def _mapped(self, name: str) -> set[str]:
        if name not in self._fields:
            resp = self.es.indices.get_mapping(index=self.alias(name))
            self._fields[name] = {f for m in resp.values() for f in m["mappings"].get("properties", {})}
        return self._fields[name]

    # -- writes ------------------------------------------------------------------------------
    def staging_dir(self, movie_id: str) -> Path:
        return self.root / "staging" / movie_id

    @_guarded
    def cached_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        from elasticsearch import NotFoundError

        try:
            doc = self.es.get(index=self._state, id=_file_key(path))["_source"]
        except NotFoundError:
            return None
        return doc["hash"] if doc.get("size") == size and doc.get("mtime_ns") == mtime_ns else None

    @_guarded
    def put_movie(self, bundle: MovieBundle, staged_thumbs: Path) -> None:
        movie = bundle.movie
        run = run_key(bundle)
        rel = self.media.publish(staged_thumbs, movie.id, run)
        self._committed = None
        try:
            self.write_bundle(bundle, run, rel, keyframe_prefix=f"{rel}/")
        except BaseException:
            # not committed: the thumbnails go back to the staging folder, where a rerun resumes
            if self._committed != (movie.id, run):
                self.media.unpublish(movie.id, run, staged_thumbs)
            raise
        self.media.keep_only(movie.id, run)

    def write_bundle(self, bundle: MovieBundle, run: str, thumbs_dir: str, keyframe_prefix: str = "") -> None:
        """Index one movie's documents under `run`, then commit it by writing its movie document,
        then drop its older runs. Safe to repeat after any failure: ids are deterministic."""
        movie = bundle.movie
        docs = list(_child_docs(bundle, run, keyframe_prefix))
        self._ensure_vector_fields(docs)
        self._bulk(docs)
        self.es.indices.refresh(index=[self.alias(n) for n in CHILDREN])
        doc = _movie_doc(bundle, run, thumbs_dir)
        self.es.index(index=self.alias("movies"), id=movie.id, document=doc, refresh=True)   # the commit point
        self._committed = (movie.id, run)
        self._bump_generation()
        self._live_cache = None
        try:
            self._delete_runs(movie.id, keep=run)
            self.es.index(index=self._state, id=_file_key(movie.source), document={
                "path": movie.source, "size": bundle.source_size, "mtime_ns": bundle.source_mtime_ns,
                "hash": movie.content_hash})
        except (StoreError, *_client_errors()) as exc:  # type: ignore[misc]  # a tuple built at run time   # committed already: leftovers are invisible and
            # collected later
            log.warning("movie %s committed, clean-up of its previous run deferred: %s", movie.id, exc)

    def _ensure_vector_fields(self, docs: list[tuple[str, str, dict[str, Any]]]) -> None:
        """A vector dimension seen for the first time (another CLIP model) gets its mapped field."""
        needed: dict[str, set[str]] = {}
        for name, _, src in docs:
            needed.setdefault(name, set()).update(
                k for k, v in src.items() if isinstance(v, np.ndarray) and k != "body")
        for name, fields in needed.items():
            have = self._mapped(name)
            for field in sorted(fields - have):
                dim = int(field.rsplit("_", 1)[1])
                self.es.indices.put_mapping(index=self.alias(name),
                                            properties={field: S.vector_mapping(dim, self.quantization)})
                have.add(field)

    def _bulk(self, docs: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Index documents in requests of at most BULK_BYTES, one in flight (the cluster's pace is
        the writer's pace); documents rejected with 429 or 5xx are sent again with exponential
        backoff, any other rejection fails the write."""
        pending = [(orjson.dumps({"index": {"_index": self.alias(n), "_id": i}}),
                    orjson.dumps(src, option=orjson.OPT_SERIALIZE_NUMPY)) for n, i, src in docs]
        for attempt in range(BULK_RETRIES + 1):
            retry: list[tuple[bytes, bytes]] = []
            for chunk in _chunks_by_bytes(pending, BULK_BYTES):
                body = b"".join(h + b"\n" + s + b"\n" for h, s in chunk)
                resp = self._bulk_request(body)
                if not resp["errors"]:
                    continue
                for item, line in zip(resp["items"], chunk, strict=True):
                    res = item["index"]
                    if res.get("status", 200) in (429, 500, 502, 503, 504):
                        retry.append(line)
                    elif "error" in res:
                        raise StoreError(f"Elasticsearch refused document {res['_id']}: {_reason(res)}")
            if not retry:
                return
            if attempt == BULK_RETRIES:
                raise StoreUnavailable(f"Elasticsearch at {self.url} kept rejecting {len(retry)} documents "
                                       "(overloaded); rerun the index to resume")
            time.sleep(min(30.0, 0.5 * 2 ** attempt))
            pending = retry

    def _bulk_request(self, body: bytes) -> dict[str, Any]:
        return self.es.bulk(operations=body).body  # type: ignore[arg-type]  # the client sends bytes as they are

    def _delete_runs(self, movie_id: str, keep: str | None) -> None:
        must_not = [{"term": {"run": keep}}] if keep else []
        self.es.delete_by_query(index=[self.alias(n) for n in CHILDREN], conflicts="proceed", refresh=True,
                                query={"bool": {"filter": [{"term": {"movie_id": movie_id}}], "must_not": must_not}})

    @_guarded
    def remove_movie(self, movie_id: str) -> bool:
        from elasticsearch import NotFoundError

        try:
            self.es.delete(index=self.alias("movies"), id=movie_id, refresh=True)
            gone = True
        except NotFoundError:
            gone = False
        self._bump_generation()
        self._live_cache = None
        self._delete_runs(movie_id, keep=None)
        self.media.keep_only(movie_id, None)
        shutil.rmtree(self.staging_dir(movie_id), ignore_errors=True)
        return gone

    # -- integrity ---------------------------------------------------------------------------
    def _stale_runs(self) -> list[tuple[str, str]]:
        """(movie, run) pairs that have child documents but are not committed."""
        live = {m.id: m.run for m in self._movies().values()}
        found: set[tuple[str, str]] = set()
        for name in CHILDREN:
            after = None
            while True:
                comp: dict[str, Any] = {"size": 1000, "sources": [{"m": {"terms": {"field": "movie_id"}}},
                                                                  {"r": {"terms": {"field": "run"}}}]}
                if after:
                    comp["after"] = after
                resp = self.es.search(index=self.alias(name), size=0, aggs={"runs": {"composite": comp}})
                agg = resp["aggregations"]["runs"]
                found |= {(b["key"]["m"], b["key"]["r"]) for b in agg["buckets"]}
                after = agg.get("after_key")
                if not agg["buckets"] or not after:
                    break
        return sorted((m, r) for m, r in found if live.get(m) != r)

    @_guarded
    def check(self) -> CheckReport:
        report = CheckReport()
        health = self.es.cluster.health(index=f"{self.prefix}-*")
        if health["status"] == "red":
            report.errors.append(f"Elasticsearch: cluster health red ({health['unassigned_shards']} unassigned "
                                 "shards)")
        elif health["status"] == "yellow":
            report.warnings.append("Elasticsearch: cluster health yellow (replicas not assigned; one node?)")
        for movie in self.list_movies():
            check_movie(self, movie, report)
            texts = self.es.count(index=self.alias("texts"), query={"bool": {"filter": [
                {"term": {"movie_id": movie.id}}, {"term": {"run": movie.run}}]}})["count"]
            if texts != movie.n_texts:
                report.errors.append(f"movie {movie.id!r}: {texts} texts indexed, {movie.n_texts} written")
        for run in self._orphan_runs():
            report.warnings.append(f"{run}: thumbnails of no committed movie (removed on the next index)")
        for movie_id, stale in self._stale_runs():
            report.warnings.append(f"movie {movie_id!r}: documents of an uncommitted run {stale} (invisible; "
                                   "'check --fix' deletes them)")
        staging = self.root / "staging"
        for left in sorted(staging.iterdir()) if staging.is_dir() else []:
            report.warnings.append(f"movie {left.name!r}: an interrupted index run; run 'cinesearch index' again "
                                   f"to finish it")
        return report

    def _orphan_runs(self) -> list[str]:
        return orphan_runs(self.media, {m.thumbs_dir for m in self._movies().values()})

    @_guarded
    def collect_garbage(self) -> list[str]:
        removed: list[str] = []
        for run in self._orphan_runs():
            self.media.drop_run(run)
            removed.append(run)
        for movie_id, stale in self._stale_runs():
            self.es.delete_by_query(index=[self.alias(n) for n in CHILDREN], conflicts="proceed", refresh=True,
                                    query={"bool": {"filter": [{"term": {"movie_id": movie_id}},
                                                               {"term": {"run": stale}}]}})
            removed.append(f"{self.prefix}: {movie_id} run {stale}")
        return removed

    # -- whole-library rebuilds --------------------------------------------------------------
    @_guarded
    def rebuild(self, fill: Callable[[ElasticsearchStore], None]) -> None:
        """Fill fresh physical indices and swap every alias to them in one request: readers see
        the old library or the new one, never a mix. `fill` writes through a store whose aliases
        point at the new indices."""
        current = self.es.indices.get_alias(name=self.alias("movies"))
        number = max(int(i.rsplit("-", 1)[1]) for i in current) + 1
        made = self._create_indices(number, with_aliases=False)
        staging = _Rebuilding(self, made)
        try:
            fill(staging)
            self.es.indices.refresh(index=list(made.values()))
            # a bulk load leaves many small segments; kNN searches each HNSW graph separately
            self.es.options(request_timeout=3600).indices.forcemerge(
                index=list(made.values()), max_num_segments=1, wait_for_completion=True)
            actions: list[dict[str, Any]] = []
            for name, index in made.items():
                for old in self.es.indices.get_alias(name=self.alias(name)):
                    actions.append({"remove": {"index": old, "alias": self.alias(name)}})
                actions.append({"add": {"index": index, "alias": self.alias(name)}})
            self.es.indices.update_aliases(actions=actions)
        except BaseException:
            self.es.indices.delete(index=list(made.values()), ignore_unavailable=True)
            raise
        for a in actions:
            if "remove" in a:
                self.es.indices.delete(index=a["remove"]["index"], ignore_unavailable=True)
        self._fields.clear()
        self._bump_generation()
        self._live_cache = None


class _Rebuilding(ElasticsearchStore):
    """The same store writing into not-yet-aliased physical indices (see `rebuild`)."""

    def __init__(self, base: ElasticsearchStore, indices: dict[str, str]):
        self.__dict__.update(base.__dict__)
        self._fields = {}
        self._live_cache = None
        self._indices = indices

    def alias(self, name: str) -> str:
        return self._indices.get(name, f"{self.prefix}-{name}")

    def write_bundle(self, bundle: MovieBundle, run: str, thumbs_dir: str, keyframe_prefix: str = "") -> None:
        docs = list(_child_docs(bundle, run, keyframe_prefix))
        self._ensure_vector_fields(docs)
        self._bulk(docs)
        self._bulk([("movies", bundle.movie.id, _movie_doc(bundle, run, thumbs_dir))])


def _hits(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return answer.get("hits", {}).get("hits", [])


def _client_errors() -> tuple[type[Exception], ...]:
    from elasticsearch import ApiError, TransportError

    return ApiError, TransportError


# -- documents -------------------------------------------------------------------------------------
def _rid(*parts: object) -> int:
    """A 63-bit id from the parts (deterministic: a repeated write overwrites)."""
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def run_key(bundle: MovieBundle) -> str:
    """One write of a movie: its fingerprint and the shape of what was produced from it."""
    m = bundle.movie
    return hashlib.blake2b(f"{m.fingerprint}\0{len(bundle.shots)}\0{len(bundle.texts)}\0{len(bundle.tracks)}\0"
                           f"{len(bundle.scenes)}\0{m.content_hash}".encode(), digest_size=8).hexdigest()


def _file_key(path: str) -> str:
    return "file:" + hashlib.sha1(path.encode()).hexdigest()


def _f32(v: np.ndarray | None) -> np.ndarray | None:
    return None if v is None else np.asarray(v, np.float32).reshape(-1)


def _child_docs(bundle: MovieBundle, run: str, kf_prefix: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    mid = bundle.movie.id
    own = {"movie_id": mid, "run": run}
    for s in bundle.shots:
        src: dict[str, Any] = {**own, "n": s.index, "idx": s.index, "start": s.start, "end": s.end,
                               "start_frame": s.start_frame, "end_frame": s.end_frame,
                               "keyframes": [[k.time, k.frame, kf_prefix + k.path] for k in s.keyframes]}
        _put_vectors(src, appearance=s.appearance, visual=s.visual)
        yield "shots", str(_rid(mid, run, "shot", s.index)), src
    for n, sc in enumerate(bundle.scenes):
        yield "scenes", str(_rid(mid, run, "scene", n)), {
            **own, "n": n, "idx": sc.index, "start": sc.start, "end": sc.end, "first_shot": sc.first_shot,
            "last_shot": sc.last_shot}
    for n, t in enumerate(bundle.texts):
        src = {**own, "n": n, "kind": t.kind, "source": t.source, "start": t.start, "end": t.end, "body": t.text,
               "first_shot": t.first_shot, "last_shot": t.last_shot, "confidence": t.confidence,
               "extra": t.extra or None}
        _put_vectors(src, text=t.vector)
        yield "texts", str(_rid(mid, run, "text", n)), src
    for n, tr in enumerate(bundle.tracks):
        src = {**own, "n": n, "shot": tr.shot, "start": tr.start, "end": tr.end, "kind": tr.kind,
               "box": [round(v, 5) for v in tr.box], "quality": tr.quality, "detections": tr.detections,
               "character": tr.character, "confidence": tr.confidence}
        _put_vectors(src, face=tr.face)
        if tr.body is not None:
            src["vectors"]["body"] = _b64(tr.body)
        yield "tracks", str(_rid(mid, run, "track", n)), src


def _movie_doc(bundle: MovieBundle, run: str, thumbs_dir: str) -> dict[str, Any]:
    m = bundle.movie
    meta = m.meta or {}
    cast = [str(c.get(k)) for c in meta.get("cast") or [] if isinstance(c, dict) for k in ("character", "actor")
            if c.get(k)]
    return {
        "id": m.id, "run": run, "title": m.title, "year": m.year, "source": m.source,
        "content_hash": m.content_hash, "fingerprint": m.fingerprint, "profile": m.profile, "duration": m.duration,
        "n_frames": m.n_frames, "media": m.media, "meta": meta, "layers": m.layers, "thumbs_dir": thumbs_dir,
        "indexed_at": m.indexed_at or time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "n_shots": len(bundle.shots), "n_scenes": len(bundle.scenes), "n_texts": len(bundle.texts),
        "genres": [str(g) for g in meta.get("genres") or []], "keywords": [str(k) for k in meta.get("keywords") or []],
        "cast": cast,
        "characters": [{"name": c.name, "actor": c.actor, "portrait": c.portrait, "face": _f32(c.face)}
                       for c in bundle.characters],
    }


def _movie(src: dict[str, Any]) -> Movie:
    return Movie(id=src["id"], title=src.get("title"), year=src.get("year"), source=src["source"],
              content_hash=src["content_hash"], fingerprint=src["fingerprint"], profile=src["profile"],
              duration=src["duration"], n_frames=src["n_frames"], media=src.get("media") or {},
              meta=src.get("meta") or {}, indexed_at=src.get("indexed_at", ""), thumbs_dir=src["thumbs_dir"],
              n_shots=src.get("n_shots", 0), n_scenes=src.get("n_scenes", 0), n_texts=src.get("n_texts", 0),
              layers=src.get("layers") or {}, run=src["run"])


def _b64(v: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(v, np.float32).tobytes()).decode("ascii")


def _put_vectors(src: dict[str, Any], **vectors: np.ndarray | None) -> None:
    """Each vector twice: as the float array Elasticsearch indexes (left out of the stored _source
    by the mapping) and as base64 float32 bytes in `vectors` (stored, not indexed), which reads back
    bit-exact at a third of the size and parse time of JSON numbers."""
    stored = src.setdefault("vectors", {})
    for kind, v in vectors.items():
        v = _f32(v)
        if v is not None:
            field = S.vector_field(kind, len(v))
            src[field] = v
            stored[field] = _b64(v)


def _answered(answer: dict[str, Any]) -> dict[str, Any]:
    """One response of an `_msearch`, or StoreError when that search was refused."""
    if "error" in answer:
        raise StoreError(f"Elasticsearch refused a search: {_reason(answer)}")
    return answer


def _vec(v: list[float] | None) -> np.ndarray | None:
    return None if v is None else np.asarray(v, np.float32)


def _unb64(s: str | None) -> np.ndarray | None:
    return None if s is None else np.frombuffer(base64.b64decode(s), np.float32)


def _stored(d: dict[str, Any], prefix: str) -> np.ndarray | None:
    return _unb64(next((v for k, v in (d.get("vectors") or {}).items() if k.startswith(prefix)), None))


def _shot(d: dict[str, Any]) -> Shot:
    return Shot(index=d["idx"], start=d["start"], end=d["end"], start_frame=d["start_frame"], end_frame=d["end_frame"],
                keyframes=[Keyframe(t, f, p) for t, f, p in d.get("keyframes") or []], id=d["_rid"],
                appearance=_stored(d, "appearance_"), visual=_stored(d, "visual_"))


def _text(d: dict[str, Any], vectors: bool) -> TextSegment:
    return TextSegment(d["kind"], d["source"], d.get("start"), d.get("end"), d["body"], first_shot=d.get("first_shot"),
                       last_shot=d.get("last_shot"), confidence=d.get("confidence"), extra=d.get("extra") or {},
                       vector=_stored(d, "text_") if vectors else None, id=d["_rid"])


def _track(d: dict[str, Any]) -> FaceTrack:
    return FaceTrack(shot=d["shot"], start=d["start"], end=d["end"], face=_stored(d, "face_"), kind=d["kind"],
                     body=_unb64((d.get("vectors") or {}).get("body")), box=tuple(d.get("box") or (0.0, 0.0, 0.0, 0.0)),
                     quality=d.get("quality", 0.0), detections=d.get("detections", 0), character=d.get("character"),
                     confidence=d.get("confidence"), id=d["_rid"])


def _chunks_by_bytes(items: list[tuple[bytes, bytes]], limit: int) -> Iterator[list[tuple[bytes, bytes]]]:
    chunk: list[tuple[bytes, bytes]] = []
    size = 0
    for item in items:
        n = len(item[0]) + len(item[1]) + 2
        if chunk and size + n > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += n
    if chunk:
        yield chunk


def _reason(body: Any) -> str:
    """The most specific reason in an Elasticsearch error body."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            causes = err.get("root_cause") or []
            first = causes[0] if causes and isinstance(causes[0], dict) else err
            return str(first.get("reason") or first.get("type") or err)[:300]
        return str(err)[:300]
    return str(body)[:300]
