"""Several movies at once: wall time of `cinesearch index --jobs N` for each N, whole cold
processes into fresh libraries, alternating the order run by run.

    python benchmarks/index_jobs.py FILM [FILM ...] [--jobs 1 2] [--runs 3]

With no films it takes the four short real clips of the test fixtures (bikes, carphone, city and
the moviepy trailer). Each run prints its wall time and peak RSS (the largest process: the
writer or one worker); then the median per N and the speed-up against the first N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def default_films() -> list[Path]:
    import fixture_media

    return [fixture_media.media(n) for n in ("bikes.mp4", "carphone_pristine.mp4", "cityCC0.mpg", "trailer_bbb.mp4")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("films", nargs="*", type=Path)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", default="fast")
    args = ap.parse_args()
    films = args.films or default_films()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    walls: dict[int, list[float]] = {n: [] for n in args.jobs}
    print(f"{len(films)} films: {', '.join(f.name for f in films)}; cores={os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            order = args.jobs if run % 2 == 0 else list(reversed(args.jobs))
            for n in order:
                lib = Path(tmp) / f"lib-{n}-{run}"
                cmd = [sys.executable, "-m", "cinesearch.cli", "--library", str(lib), "index", "--profile",
                       args.profile, "--no-progress", "--jobs", str(n), *map(str, films)]
                t = time.perf_counter()
                proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
                wall = time.perf_counter() - t
                if proc.returncode:
                    print(proc.stderr[-2000:], file=sys.stderr)
                    return 1
                walls[n].append(wall)
                print(f"run {run + 1} --jobs {n}: {wall:7.1f} s", flush=True)
                shutil.rmtree(lib, ignore_errors=True)
    base = statistics.median(walls[args.jobs[0]])
    for n in args.jobs:
        med = statistics.median(walls[n])
        print(f"median --jobs {n}: {med:.1f} s  ({base / med:.2f}x the speed of --jobs {args.jobs[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
