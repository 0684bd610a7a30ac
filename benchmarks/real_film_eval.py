"""Real-film evaluation: scenes, visual and text queries on Big Buck Bunny, and shot boundaries on
every real clip with known cuts, for the build you point it at.

    python benchmarks/real_film_eval.py [--library DIR] [--reuse] [--root TREE] [--profile fast]

It indexes each film with `cinesearch index` as a separate, cold process (wall time and peak RSS
printed), then reads the scenes and shots back from the library and runs every query of
`benchmarks/eval/bbb.json` through the search engine, restricted to the film. Figures:

- scene boundaries: precision, recall and F1 at the annotation's tolerance (one scene for the
  whole film finds no boundary: F1 0);
- queries: R@1 and R@5 per kind (visual, text); a clip counts when it shares at least half of
  itself, or half of a true span, with a true span;
- shot boundaries: F1 at 0.25 s on bikes (5 cuts), city (1), carphone (0) and the BBB trailer
  (its transitions as annotated in benchmarks/eval/trailer_bbb.json), side by side with
  PySceneDetect's ContentDetector alone on the same files.

`--root TREE` evaluates another checkout (for example the build before a change, from
`git worktree add /tmp/old COMMIT`): its code indexes and answers, this script only scores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, help="library folder (default: a temporary one)")
    ap.add_argument("--reuse", action="store_true", help="score an already indexed library; index nothing")
    ap.add_argument("--root", type=Path, default=REPO, help="the cinesearch checkout to evaluate")
    ap.add_argument("--profile", default="fast")
    ap.add_argument("--truth", type=Path, default=HERE / "eval" / "bbb.json")
    ap.add_argument("--no-shots", action="store_true", help="skip the shot-boundary clips")
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    return ap.parse_args()


ARGS = _args()
sys.path.insert(0, str(ARGS.root.resolve()))
sys.path.insert(1, str(HERE))
sys.path.insert(2, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval_metrics import boundary_prf, recall_at  # noqa: E402
from fixture_media import media  # noqa: E402

SHOT_CLIPS = {"bikes.mp4": [1.20, 3.04, 5.48, 7.48, 9.68], "cityCC0.mpg": [4.64], "carphone_pristine.mp4": []}
SHOT_TOLERANCE = 0.25


def _index(paths: list[Path], library: Path) -> dict[str, float]:
    """Index each file in its own cold process; wall seconds and peak RSS (GiB) of each."""
    out: dict[str, float] = {}
    env = {**os.environ, "PYTHONPATH": str(ARGS.root.resolve())}
    for p in paths:
        t = time.perf_counter()
        # run in the evaluated checkout: `python -m` puts the working folder first on sys.path
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "cinesearch.cli", "index",
                               str(p.resolve()), "--library", str(library.resolve()), "--profile", ARGS.profile],
                              env=env, cwd=ARGS.root.resolve(), capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            sys.exit(f"index {p.name} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
        rss_kib = int(proc.stderr.strip().splitlines()[-1])
        out[p.name] = wall
        print(f"  indexed {p.name}: {wall:.1f} s wall, peak RSS {rss_kib / 2**20:.2f} GiB", file=sys.stderr)
    return out


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")


def _pyscenedetect_cuts(path: Path) -> list[float]:
    from scenedetect import ContentDetector, detect

    scenes = detect(str(path), ContentDetector())
    return [s[0].seconds for s in scenes[1:]]


def main() -> int:
    truth = json.loads(ARGS.truth.read_text())
    film = media(truth["film"])
    clips: dict[str, list] = {} if ARGS.no_shots else dict(SHOT_CLIPS)
    trailer_truth = HERE / "eval" / "trailer_bbb.json"
    if not ARGS.no_shots and trailer_truth.exists():
        clips["trailer_bbb.mp4"] = json.loads(trailer_truth.read_text())["transitions"]  # spans
    tmp = None
    library = ARGS.library
    if library is None:
        tmp = tempfile.TemporaryDirectory(prefix="cinesearch-eval-")
        library = Path(tmp.name) / "library"
    figures: dict[str, object] = {"root": str(ARGS.root), "profile": ARGS.profile}
    if not ARGS.reuse:
        walls = _index([film, *(media(c) for c in clips)], library)
        figures["bbb_wall_s"] = round(walls[film.name], 1)
        figures["bbb_x_realtime"] = round(truth["duration"] / walls[film.name], 2)

    from cinesearch.search.engine import SearchEngine
    from cinesearch.search.requests import search_query
    from cinesearch.search.store import open_store

    store = open_store(library)
    movie_id = _slug(truth["film"])
    scenes = store.get_scenes(movie_id)
    if not scenes:
        print(f"{truth['film']} is not in {library}: index it there, or run without --reuse", file=sys.stderr)
        return 2
    found = [s.start for s in scenes[1:]]
    true_b = [s["start"] for s in truth["scenes"][1:]]
    prf = boundary_prf(found, true_b, truth["scene_tolerance_s"])
    print(f"scenes ({len(scenes)} found, {len(truth['scenes'])} true; tolerance {truth['scene_tolerance_s']} s): "
          f"{prf.line()}")
    figures["scenes_found"] = len(scenes)
    figures["scene_f1"] = round(prf.f1, 3)

    engine = SearchEngine(store)
    per_kind: dict[str, list[tuple[bool, bool]]] = {}
    for q in truth["queries"]:
        answer = engine.search(search_query(store, q["text"], movies=[movie_id]), limit=5)
        ranked = [(c["start"], c["end"]) for c in answer["results"]]
        r1, r5 = recall_at(ranked, q["spans"], 1), recall_at(ranked, q["spans"], 5)
        per_kind.setdefault(q["kind"], []).append((r1, r5))
        top = ", ".join(f"{s:.0f}-{e:.0f}" for s, e in ranked[:5])
        print(f"  {q['id']} {'R@1' if r1 else ('R@5' if r5 else 'miss')}: {q['text']!r}  -> {top}")
    for kind, rows in per_kind.items():
        n = len(rows)
        r1 = sum(a for a, _ in rows) / n
        r5 = sum(b for _, b in rows) / n
        print(f"{kind} queries ({n}): R@1 {r1:.2f}  R@5 {r5:.2f}")
        figures[f"{kind}_r1"] = round(r1, 3)
        figures[f"{kind}_r5"] = round(r5, 3)

    for name, cuts in clips.items():
        shots = store.get_shots(_slug(name))
        if not shots:   # --reuse of a library without this clip: no figure, rather than a false 0
            print(f"shots {name}: not in {library} (index it there, or run without --reuse)")
            continue
        ours = boundary_prf([s.start for s in shots[1:]], cuts, SHOT_TOLERANCE)
        theirs = boundary_prf(_pyscenedetect_cuts(media(name)), cuts, SHOT_TOLERANCE)
        print(f"shots {name}: cinesearch {ours.line()} | PySceneDetect content {theirs.line()}")
        figures[f"shot_f1_{_slug(name)}"] = round(ours.f1, 3)
        figures[f"shot_f1_{_slug(name)}_pyscenedetect"] = round(theirs.f1, 3)
    store.close()
    if ARGS.json:
        print(json.dumps(figures))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
