"""Ingest throughput and query latency of the two store backends on the same synthetic library:
the embedded one (SQLite + FTS5 + faiss) and Elasticsearch 8.12.2 (a real node on this machine,
started with deploy/elasticsearch/start.sh, or the server at --es-url).

    python benchmarks/store_backends.py [--shots 100000] [--per-movie 1000] [--queries 40] [--es-url URL]

Both stores get exactly the same MovieBundles through `put_movie`, the call `cinesearch index`
makes: movies of `--per-movie` shots, each shot with a timed text of ~8 words drawn from a Zipf law
over a 50,000-word vocabulary (plus the query words at random ranks) and a 384-d text vector that
mixes two topic vectors (MiniLM embeddings of the query sentences among random directions) with
noise. Shots carry no appearance vector (text queries never read them; see README for what they
add). Query figures are the engine's first stage, as `SearchEngine` issues it: the dense kNN and
the BM25 search of a sentence in one `Store.retrieve` call, then the id lookups of the hits
(MiniLM encoding excluded: it is the same for both).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.query_latency import QUERIES  # noqa: E402
from cinesearch.search.query import keywords  # noqa: E402
from cinesearch.search.store import Keyframe, Movie, MovieBundle, Retrieval, Scene, Shot, TextSegment, open_store  # noqa: E402


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


class Library:
    """Deterministic synthetic movies (the same for both backends)."""

    def __init__(self, query_vecs: np.ndarray, seed: int = 7):
        rng = np.random.default_rng(seed)
        words = sorted({w for q in QUERIES for w in keywords(q)})
        self.vocab = rng.permutation(np.array(words + [f"w{i:05d}" for i in range(50_000 - len(words))]))
        zipf = 1.0 / np.arange(1, len(self.vocab) + 1) ** 1.1
        self.zipf = zipf / zipf.sum()
        self.topics = np.concatenate([query_vecs, _unit(rng.standard_normal((200, query_vecs.shape[1])))])
        self.seed = seed

    def movie(self, n: int, shots: int) -> MovieBundle:
        rng = np.random.default_rng((self.seed, n))
        mid = f"synth-{n:05d}"
        movie = Movie(id=mid, source=f"/synthetic/{mid}.mp4", content_hash=f"h{n}", fingerprint=f"f{n}",
                      profile="fast", duration=shots * 2.0, n_frames=shots * 50, media={}, meta={"title": mid},
                      title=mid)
        shot_list = [Shot(i, i * 2.0, i * 2.0 + 2.0, i * 50, i * 50 + 50, [Keyframe(i * 2.0 + 1.0, i * 50 + 25,
                                                                                    f"{i:05d}.jpg")])
                     for i in range(shots)]
        a, b = rng.integers(0, len(self.topics), (2, shots))
        vecs = _unit(0.6 * self.topics[a] + 0.4 * self.topics[b] + 0.35 * _unit(
            rng.standard_normal((shots, self.topics.shape[1]))))
        bodies = rng.choice(self.vocab, size=(shots, 8), p=self.zipf)
        texts = [TextSegment("subtitle", "synthetic.srt", i * 2.0 + 0.2, i * 2.0 + 1.8, " ".join(bodies[i]),
                             first_shot=i, last_shot=i, vector=vecs[i]) for i in range(shots)]
        scenes = [Scene(j, j * 20.0, min(shots, j * 10 + 10) * 2.0, j * 10, min(shots, j * 10 + 10) - 1)
                  for j in range((shots + 9) // 10)]
        return MovieBundle(movie, shot_list, scenes, 1, 1, texts=texts)


def _stage(store, bundle: MovieBundle, jpeg: bytes) -> Path:
    d = store.staging_dir(bundle.movie.id) / "thumbs"
    d.mkdir(parents=True, exist_ok=True)
    for s in bundle.shots:
        for k in s.keyframes:
            (d / k.path).write_bytes(jpeg)
    return d


def ingest(store, lib: Library, movies: int, per_movie: int) -> dict[str, float]:
    jpeg = b"\xff\xd8\xff\xd9"
    t_build = t_put = 0.0
    with store.writer():
        for n in range(movies):
            t0 = time.perf_counter()
            bundle = lib.movie(n, per_movie)
            staged = _stage(store, bundle, jpeg)
            t1 = time.perf_counter()
            store.put_movie(bundle, staged)
            t_put += time.perf_counter() - t1
            t_build += t1 - t0
            if (n + 1) % 10 == 0:
                print(f"  {n + 1}/{movies} movies, {t_put:.1f} s in put_movie", file=sys.stderr, flush=True)
    shots = movies * per_movie
    return {"shots": shots, "seconds": round(t_put, 1), "shots_per_s": round(shots / t_put),
            "docs_per_s": round(2 * shots / t_put)}


def query(store, qvecs: np.ndarray, n: int) -> dict[str, float]:
    lat: list[float] = []
    for i in range(n):
        q = QUERIES[i % len(QUERIES)]
        t0 = time.perf_counter()
        dense, bm25 = store.retrieve([Retrieval("text", 200, vector=qvecs[i % len(QUERIES)]),
                                      Retrieval("bm25", 200, tuple(keywords(q)))])
        store.lookup_texts(sorted({j for j, _ in dense} | {j for j, _ in bm25}))
        lat.append((time.perf_counter() - t0) * 1000)
    lat = lat[len(QUERIES) // 4:] if n > len(QUERIES) else lat     # the first queries warm caches
    return {"p50_ms": round(statistics.median(lat), 1), "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "queries": len(lat)}


def end_to_end(store, n: int) -> dict[str, float]:
    """The engine's whole text search (MiniLM encoding, retrieval, find, focus, explanations), as
    the CLI and the API run it."""
    from cinesearch.search.engine import SearchEngine
    from cinesearch.search.query import parse_query

    engine = SearchEngine(store)
    engine.search(parse_query(QUERIES[0]))   # warm: encoder, movie list
    lat: list[float] = []
    for i in range(n):
        t0 = time.perf_counter()
        engine.search(parse_query(QUERIES[i % len(QUERIES)]), limit=10)
        lat.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(statistics.median(lat), 1), "p95_ms": round(float(np.percentile(lat, 95)), 1)}


def start_es_node(http_port: int, transport_port: int, cluster: str) -> tuple[str, Path]:
    """A throwaway Elasticsearch node on this machine (deploy/elasticsearch/start.sh): its URL and
    run folder (hand that to stop_es_node)."""
    node_dir = Path(tempfile.mkdtemp(prefix="cinesearch-es-"))   # the server's user owns it
    subprocess.run(["bash", str(ROOT / "deploy/elasticsearch/start.sh"), str(node_dir), str(http_port),
                    str(transport_port), cluster, "node-1"], check=True)
    return f"http://127.0.0.1:{http_port}", node_dir


def stop_es_node(node_dir: Path | None) -> None:
    if node_dir is not None:
        subprocess.run(["bash", str(ROOT / "deploy/elasticsearch/stop.sh"), str(node_dir)], check=False)
        shutil.rmtree(node_dir, ignore_errors=True)


def _es_rss_mib(pidfile: Path) -> float | None:
    try:
        pid = pidfile.read_text().strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


def add_library_flags(ap: argparse.ArgumentParser, backends: str) -> None:
    """The flags every benchmark over these synthetic libraries takes besides its sizes."""
    ap.add_argument("--per-movie", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--backends", default=backends)
    ap.add_argument("--es-url", help="an existing server (default: start one with deploy/elasticsearch/start.sh)")


def force_merge(store, prefix: str) -> float:
    """Merge a bulk-loaded Elasticsearch library to one segment per shard, as `cinesearch migrate`
    leaves it (kNN searches every segment's graph); the seconds it took."""
    t0 = time.perf_counter()
    store.es.options(request_timeout=3600).indices.forcemerge(index=f"{prefix}-*", max_num_segments=1,
                                                              wait_for_completion=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=100_000)
    add_library_flags(ap, backends="embedded,elasticsearch")
    args = ap.parse_args()
    from cinesearch.models import text_embedder

    qvecs = np.asarray(text_embedder()(QUERIES), np.float32)
    lib = Library(qvecs)
    movies = max(1, args.shots // args.per_movie)
    work = Path(tempfile.mkdtemp(prefix="cinesearch-bench-"))
    node_dir = None
    try:
        for backend in args.backends.split(","):
            print(f"{backend}: ingesting {movies} movies x {args.per_movie} shots", file=sys.stderr, flush=True)
            options: dict[str, str] = {"backend": backend}
            if backend == "elasticsearch":
                url = args.es_url
                if url is None:
                    url, node_dir = start_es_node(9277, 9377, "bench")
                options |= {"es_url": url, "es_prefix": f"bench-{os.getpid()}"}
            store = open_store(work / backend, create=True, **options)
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            ing = ingest(store, lib, movies, args.per_movie)
            q = query(store, qvecs, args.queries)
            merged = ""
            if backend == "elasticsearch":
                took = force_merge(store, options["es_prefix"])
                qm = query(store, qvecs, args.queries)
                merged = f"; after a force-merge ({took:.0f} s): p50 {qm['p50_ms']} ms, p95 {qm['p95_ms']} ms"
            e2e = end_to_end(store, args.queries)
            extra = f"; end to end p50 {e2e['p50_ms']} ms, p95 {e2e['p95_ms']} ms"
            if backend == "elasticsearch" and node_dir is not None:
                data = sum(p.stat().st_size for p in (node_dir / "data").rglob("*") if p.is_file()) / 2**20
                extra += f", server RSS {_es_rss_mib(node_dir / 'es.pid')} MiB, server data {data:.0f} MiB"
            size = sum(p.stat().st_size for p in (work / backend).rglob("*") if p.is_file()
                       and "thumbs" not in p.parts) / 2**20
            print(f"{backend:>13}: ingest {ing['shots']} shots in {ing['seconds']} s = {ing['shots_per_s']} shots/s "
                  f"({ing['docs_per_s']} docs/s); retrieval p50 {q['p50_ms']} ms, p95 {q['p95_ms']} ms "
                  f"({q['queries']} queries){merged}; client max RSS "
                  f"{max(rss0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) // 1024} MiB; local files "
                  f"{size:.0f} MiB{extra}", flush=True)
            store.close()
    finally:
        stop_es_node(node_dir)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
