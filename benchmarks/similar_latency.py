"""More-like-this latency: p50/p95 of `SearchEngine.similar` (read the example shot, kNN over the
appearance vectors, id lookups, fusion, the result cards' shots and texts) at library scale, with the recall
at 10 of shots of the example's look (a check that the compressed indexes still find neighbours).

    python benchmarks/similar_latency.py [--shots 10000,100000] [--queries 60] [--backends embedded,elasticsearch]

Libraries are the synthetic movies of benchmarks/store_backends.py (1,000 shots each, a subtitle-like
text per shot) plus a 1280-d appearance vector per shot: one of 2,000 "looks" (random directions)
plus noise, so every shot has about 50 true neighbours spread over the library.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.store_backends import (  # noqa: E402
    Library,
    _es_rss_mib,
    _stage,
    _unit,
    add_library_flags,
    force_merge,
    start_es_node,
    stop_es_node,
)
from cinesearch.search.store import open_store  # noqa: E402

LOOKS = 2000
DIM = 1280


class LookingLibrary(Library):
    """Store-backends movies whose shots also carry an appearance vector drawn around one of LOOKS
    centres; `look[(movie, shot)]` remembers which."""

    def __init__(self, query_vecs: np.ndarray, seed: int = 7):
        super().__init__(query_vecs, seed)
        self.centres = _unit(np.random.default_rng(seed + 1).standard_normal((LOOKS, DIM)))
        self.look: dict[tuple[str, int], int] = {}

    def movie(self, n: int, shots: int):
        bundle = super().movie(n, shots)
        rng = np.random.default_rng((self.seed, n, 1))
        looks = rng.integers(0, LOOKS, shots)
        vecs = _unit(self.centres[looks] + 0.9 * _unit(rng.standard_normal((shots, DIM))))
        for s, look, v in zip(bundle.shots, looks, vecs, strict=True):
            s.appearance = v
            self.look[(bundle.movie.id, s.index)] = int(look)
        return bundle


def ingest(store, lib: LookingLibrary, movies: int, per_movie: int) -> float:
    t = 0.0
    with store.writer():
        for n in range(movies):
            bundle = lib.movie(n, per_movie)
            staged = _stage(store, bundle, b"\xff\xd8\xff\xd9")
            t0 = time.perf_counter()
            store.put_movie(bundle, staged)
            t += time.perf_counter() - t0
            if (n + 1) % 20 == 0:
                print(f"  {n + 1}/{movies} movies, {t:.1f} s in put_movie", file=sys.stderr, flush=True)
    return t


def measure(store, lib: LookingLibrary, movies: int, per_movie: int, n: int) -> dict[str, float]:
    from cinesearch.search.engine import SearchEngine

    engine = SearchEngine(store)
    rng = np.random.default_rng(11)
    examples = [(f"synth-{rng.integers(movies):05d}", int(rng.integers(per_movie))) for _ in range(n)]
    engine.similar(*examples[0])   # warm: movie list, index files
    sizes = np.bincount(list(lib.look.values()), minlength=LOOKS)   # shots of each look
    lat, same = [], []
    for mid, shot in examples:
        t0 = time.perf_counter()
        answer = engine.similar(mid, shot, limit=10)
        lat.append((time.perf_counter() - t0) * 1000)
        want = lib.look[(mid, shot)]
        found = sum(lib.look[(r["movie_id"], r["shots"][0])] == want for r in answer["results"])
        same.append(found / max(1, min(10, sizes[want] - 1)))
    return {"p50_ms": round(statistics.median(lat), 1), "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "recall": round(float(np.mean(same)), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shots", default="10000,100000")
    add_library_flags(ap, backends="embedded")
    args = ap.parse_args()
    from benchmarks.query_latency import QUERIES
    from cinesearch.models import text_embedder

    qvecs = np.asarray(text_embedder()(QUERIES), np.float32)
    work = Path(tempfile.mkdtemp(prefix="cinesearch-similar-"))
    node_dir = None
    try:
        for backend in args.backends.split(","):
            options: dict[str, str] = {"backend": backend}
            if backend == "elasticsearch":
                url = args.es_url
                if url is None:
                    url, node_dir = start_es_node(9278, 9378, "similar")
                options |= {"es_url": url}
            for size in (int(s) for s in args.shots.split(",")):
                movies = max(1, size // args.per_movie)
                lib = LookingLibrary(qvecs)
                print(f"{backend}: {movies} movies x {args.per_movie} shots", file=sys.stderr, flush=True)
                if backend == "elasticsearch":
                    options["es_prefix"] = f"similar-{os.getpid()}-{size}"
                store = open_store(work / f"{backend}-{size}", create=True, **options)
                took = ingest(store, lib, movies, args.per_movie)
                if backend == "elasticsearch":
                    force_merge(store, options["es_prefix"])
                m = measure(store, lib, movies, args.per_movie, args.queries)
                extra = ""
                if backend == "embedded":   # the index is loaded whole: its file is its memory
                    vi = store.vector_index("appearance", DIM)
                    extra = f"; appearance index {vi.meta['type']}, {vi.path.stat().st_size / 2**20:.0f} MiB"
                if node_dir is not None and backend == "elasticsearch":
                    extra = f"; server RSS {_es_rss_mib(node_dir / 'es.pid')} MiB"
                print(f"{backend:>13} {movies * args.per_movie:>8} shots: ingest {took:.1f} s; similar p50 "
                      f"{m['p50_ms']} ms, p95 {m['p95_ms']} ms; recall@10 of same-look shots {m['recall']:.0%} "
                      f"({args.queries} queries){extra}", flush=True)
                store.close()
                shutil.rmtree(work / f"{backend}-{size}", ignore_errors=True)
    finally:
        stop_es_node(node_dir)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
