"""Query latency at library scale: p50/p95 of text queries at 10k, 100k and 1M shots, for retrieval
alone (faiss + BM25 + id lookups + fusion, query vectors precomputed) and end to end (the engine's
`search`, as the CLI and the API call it: MiniLM query encoding, find, focus, explanations), with
the memory used.

    python benchmarks/query_latency.py [--sizes 10000,100000,1000000] [--queries 40]

Libraries are built once under benchmarks/.cache/ (delete it to rebuild). Each holds copies of
real indexed movies (the story movie, with subtitles and with a Whisper transcript: real shots,
texts, concepts and MiniLM vectors) and synthetic 1,000-shot movies: their text vectors mix two
real vectors plus noise, their words follow a Zipf law over a 50,000-word vocabulary, so posting
lists and vector clusters look like a real library's rather than like 1M copies of one movie.
Synthetic shots carry no appearance vector (text queries never read them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

CACHE = ROOT / "benchmarks" / ".cache"
SHOTS_PER_MOVIE = 1000
REAL_QUERIES = 5    # the first queries describe lines and shots of the real (story) movies
QUERIES = [
    "someone asks for the umbrella to be taken to the railway station",
    "a dog is waiting next to a bicycle",
    "kites dancing high above the beach",
    "meet me at the lighthouse",
    "a giraffe standing in the field",
    "horses grazing on a hill",
    "an eagle spreads its wings",
    "people riding bikes through the city",
    "the train leaves the station at night",
    "a man walks alone on the pier",
    "please bring the blue umbrella",
    "two friends argue in the kitchen",
    "a car chase through narrow streets",
    "she reads the letter and starts to cry",
    "the storm hits the lighthouse",
    "children playing football in the rain",
    "a wedding on the beach at sunset",
    "the detective examines the body",
    "a ship sinks in the cold ocean",
    "he hides the money under the floor",
]


def seed_library() -> Path:
    """A real library: the story movie with subtitles and without (Whisper transcript)."""
    import movie_builder as mb

    from cinesearch.cli import main as cli

    lib = CACHE / "seed"
    if (lib / "catalogue.sqlite").exists():
        return lib
    work = CACHE / "seed-movies"
    for name, cues in (("subs", True), ("speech", False)):
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "story.mp4").exists():
            os.link(mb.story_movie(), folder / "story.mp4")
        meta: dict = {"title": f"Story ({name})"}
        if cues:
            mb.write_srt(folder / "story.en.srt", mb.STORY_CUES)
            meta["subtitles"] = ["story.en.srt"]
        (folder / "movie.json").write_text(json.dumps(meta))
    code = cli(["index", str(work / "subs"), str(work / "speech"), "--no-progress", "--library", str(lib)])
    if code != 0:
        raise SystemExit(f"could not index the seed movies (exit {code})")
    return lib


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def build_library(size: int, seed: Path) -> Path:
    """A library of `size` shots: real movies copied, synthetic movies for the rest (bulk SQL, then
    one faiss build, as `cinesearch index` of a large collection would end up)."""
    from cinesearch.search.store import open_store

    lib = CACHE / f"lib-{size}"
    if (lib / "done").exists():
        return lib
    import shutil
    shutil.rmtree(lib, ignore_errors=True)
    open_store(lib, create=True).close()
    src = sqlite3.connect(seed / "catalogue.sqlite")
    src.row_factory = sqlite3.Row
    real_movies = [dict(r) for r in src.execute("SELECT * FROM movies")]
    real_shots = {m["id"]: [dict(r) for r in src.execute("SELECT * FROM shots WHERE movie_id=? ORDER BY idx",
                                                         (m["id"],))] for m in real_movies}
    real_texts = {m["id"]: [dict(r) for r in src.execute("SELECT * FROM texts WHERE movie_id=?", (m["id"],))]
                  for m in real_movies}
    pool = np.stack([np.frombuffer(t["vec"], np.float32) for ts in real_texts.values() for t in ts if t["vec"]])
    words = sorted({w.lower() for ts in real_texts.values() for t in ts for w in t["body"].split() if w.isalpha()})
    rng = np.random.default_rng(size)
    # the real words take random ranks of the Zipf law, as content words do in a real library
    vocab = rng.permutation(np.array(words + [f"w{i:05d}" for i in range(50_000 - len(words))]))
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.1
    zipf /= zipf.sum()
    conn = sqlite3.connect(lib / "catalogue.sqlite", isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    copies = max(1, size // 20_000)
    total = 0
    movie_cols = [k for k in real_movies[0] if k != "id"]

    def add_movie(mid: str, title: str, base: dict) -> None:
        row = dict(base, id=mid, title=title)
        conn.execute(f"INSERT INTO movies ({','.join(row)}) VALUES ({','.join('?' * len(row))})", list(row.values()))

    for c in range(copies):
        for m in real_movies:
            mid = f"{m['id']}-{c:04d}"
            add_movie(mid, f"{m['title']} #{c}", {k: m[k] for k in movie_cols})
            for s in real_shots[m["id"]]:
                conn.execute("INSERT INTO shots (movie_id, idx, start_s, end_s, start_frame, end_frame, appearance) "
                             "VALUES (?,?,?,?,?,?,?)", (mid, s["idx"], s["start_s"], s["end_s"], s["start_frame"],
                                                        s["end_frame"], s["appearance"]))
            conn.executemany(
                "INSERT INTO texts (movie_id, kind, source, start_s, end_s, body, first_shot, last_shot, confidence, "
                "extra_json, vec) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(mid, t["kind"], t["source"], t["start_s"], t["end_s"], t["body"], t["first_shot"], t["last_shot"],
                  t["confidence"], t["extra_json"], t["vec"]) for t in real_texts[m["id"]]])
            total += len(real_shots[m["id"]])
    base = {k: real_movies[0][k] for k in movie_cols}
    n_movie = 0
    while total < size:
        n = min(SHOTS_PER_MOVIE, size - total)
        mid = f"synthetic-{n_movie:05d}"
        add_movie(mid, f"Synthetic {n_movie}", base | {"duration": n * 4.0, "n_frames": n * 100})
        starts = np.arange(n) * 4.0
        conn.executemany("INSERT INTO shots (movie_id, idx, start_s, end_s, start_frame, end_frame) "
                         "VALUES (?,?,?,?,?,?)",
                         [(mid, i, float(starts[i]), float(starts[i] + 4.0), i * 100, (i + 1) * 100) for i in range(n)])
        # one concepts text per shot, a subtitle on every other shot
        kinds = ["concepts"] * n + ["subtitle"] * (n // 2)
        shot_of = np.concatenate([np.arange(n), rng.choice(n, n // 2, replace=False)])
        a, b = pool[rng.integers(len(pool), size=len(kinds))], pool[rng.integers(len(pool), size=len(kinds))]
        vecs = _unit(a + 0.6 * b + rng.normal(scale=0.03, size=a.shape))
        lengths = rng.integers(4, 12, size=len(kinds))
        drawn = rng.choice(len(vocab), size=int(lengths.sum()), p=zipf)
        bodies = np.split(vocab[drawn], np.cumsum(lengths)[:-1])
        conn.executemany(
            "INSERT INTO texts (movie_id, kind, source, start_s, end_s, body, first_shot, last_shot, vec) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            [(mid, k, "synthetic", float(starts[j]) + (0.5 if k == "subtitle" else 0.0),
              float(starts[j]) + (3.0 if k == "subtitle" else 4.0), " ".join(body), int(j), int(j), v.tobytes())
             for k, j, body, v in zip(kinds, shot_of, bodies, vecs, strict=True)])
        total += n
        n_movie += 1
    conn.execute("UPDATE state SET value = '1' WHERE key = 'vectors_generation'")
    conn.execute("COMMIT")
    conn.close()
    store = open_store(lib)
    t = time.perf_counter()
    vi = store.vector_index("text", 384)
    print(f"  built {size:,} shots: {vi.size:,} text vectors, faiss {vi.meta['type']} in "
          f"{time.perf_counter() - t:.0f} s", flush=True)
    store.close()
    (lib / "done").touch()
    return lib


def _pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, p))


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(lib: Path, queries: list[str]) -> dict:
    from cinesearch.search.engine import SearchEngine
    from cinesearch.search.query import parse_query
    from cinesearch.search.store import open_store

    store = open_store(lib)
    engine = SearchEngine(store)
    vi = store.vector_index("text", 384)
    n_shots = sum(m.n_shots for m in store.list_movies())
    embed = engine.encoders.text
    engine.search(parse_query(queries[0]))   # warm: loads the encoder, caches statements
    retrieval, e2e, real_top = [], [], []
    for n, q in enumerate(queries):
        parsed = parse_query(q)
        vec = embed(parsed.sentences)
        t = time.perf_counter()
        engine._retrieve(parsed.sentences, vec, None, parsed.phrases, None)
        retrieval.append(time.perf_counter() - t)
        t = time.perf_counter()
        answer = engine.search(parsed)
        e2e.append(time.perf_counter() - t)
        if n < REAL_QUERIES:   # these describe something only the real movies hold
            top = answer["results"][0]["movie_id"] if answer["results"] else ""
            real_top.append(not top.startswith("synthetic-"))
    out = {"shots": n_shots, "vectors": vi.size, "index": vi.meta["type"],
           "retrieval_p50": _pct(retrieval, 50), "retrieval_p95": _pct(retrieval, 95),
           "e2e_p50": _pct(e2e, 50), "e2e_p95": _pct(e2e, 95), "real_at_1": float(np.mean(real_top)),
           "rss_mib": _rss_mib(), "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "catalogue_mib": (lib / "catalogue.sqlite").stat().st_size / 2**20,
           "faiss_mib": sum(p.stat().st_size for p in (lib / "vectors").glob("*.faiss")) / 2**20}
    store.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=40, help="queries per size (the list repeats with variations)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = QUERIES * (1 + args.queries // len(QUERIES))
    queries = [q if i < len(QUERIES) else f"{q} again" for i, q in enumerate(base[:args.queries])]
    seed = seed_library()
    rows = []
    for size in sizes:
        lib = build_library(size, seed)
        rows.append(measure(lib, queries))
        r = rows[-1]
        print(f"  {r['shots']:>9,} shots  retrieval p50 {r['retrieval_p50']:6.1f} ms  p95 {r['retrieval_p95']:6.1f} ms"
              f"  end-to-end p50 {r['e2e_p50']:6.1f} ms  p95 {r['e2e_p95']:6.1f} ms", flush=True)
    print(f"\n{len(queries)} text queries per size, 2 cores, times in ms. real@1: share of the {REAL_QUERIES} "
          "queries about the real movies whose first clip comes from one. RSS includes MiniLM and torch.")
    print(f"{'shots':>10} {'text vecs':>10} {'faiss':>6} {'retr p50':>9} {'retr p95':>9} {'e2e p50':>8} {'e2e p95':>8} "
          f"{'real@1':>7} {'RSS MiB':>8} {'faiss MiB':>9} {'SQLite MiB':>10}")
    for r in rows:
        print(f"{r['shots']:>10,} {r['vectors']:>10,} {r['index']:>6} {r['retrieval_p50']:>9.1f} "
              f"{r['retrieval_p95']:>9.1f} {r['e2e_p50']:>8.1f} {r['e2e_p95']:>8.1f} {r['real_at_1']:>7.2f} "
              f"{r['rss_mib']:>8.0f} {r['faiss_mib']:>9.0f} {r['catalogue_mib']:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
