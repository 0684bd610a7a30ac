"""Scale-out indexing on Ray: wall time of `cinesearch index --ray` for 8 short real films with
1 and 2 worker processes on this machine, and the time a 10,000-hour archive would take on N
such machines, projected from the measured throughput.

    python benchmarks/ray_scaling.py [FILM ...] [--workers 1 2] [--runs 2] [--archive-hours 10000]

Each setting gets its own local Ray cluster (`ray start`, one node with W CPUs, one movie per
CPU, so W worker processes), started before the clock runs; each run is a whole cold
`cinesearch index --ray ADDRESS` process (driver start, worker model loads, every film) into a
fresh embedded library. Orders alternate run by run. The projection assumes movies spread evenly
(an archive has far more movies than workers) and reports the best per-machine throughput.
"""

from __future__ import annotations

import argparse
import json
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

FIXTURES = ("bikes.mp4", "carphone_pristine.mp4", "cityCC0.mpg", "trailer_bbb.mp4", "bigbuckbunny.mp4",
            "demo.mp4", "demo.mkv", "demo.webm")


def default_films(folder: Path) -> list[Path]:
    """The eight short real fixture films, linked under names of their own (the demo clip comes
    in three containers, which would otherwise share the movie id `demo`)."""
    import fixture_media

    out = []
    for name in FIXTURES:
        src = fixture_media.media(name)
        link = folder / f"{Path(name).stem}-{Path(name).suffix[1:]}{Path(name).suffix}"
        link.symlink_to(src)
        out.append(link)
    return out


def duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def main() -> int:
    from ray_local import local_cluster

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("films", nargs="*", type=Path)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--profile", default="fast")
    ap.add_argument("--archive-hours", type=float, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        films = args.films or default_films(Path(tmp))
        video = sum(duration(f) for f in films)
        print(f"{len(films)} films, {video:.1f} s of video: {', '.join(f.name for f in films)}; cores={os.cpu_count()}")
        walls: dict[int, list[float]] = {w: [] for w in args.workers}
        for run in range(args.runs):
            order = args.workers if run % 2 == 0 else list(reversed(args.workers))
            for w in order:
                with local_cluster([w]) as cluster:
                    lib = Path(tmp) / f"lib-{w}-{run}"
                    cmd = [sys.executable, "-m", "cinesearch.cli", "index", "--library", str(lib), "--profile",
                           args.profile, "--no-progress", "--json", "--ray", cluster.address, *map(str, films)]
                    t = time.perf_counter()
                    proc = subprocess.run(cmd, cwd=ROOT, env={**cluster.env, "PYTHONPATH": str(ROOT)},
                                          capture_output=True, text=True)
                    wall = time.perf_counter() - t
                if proc.returncode:
                    print(proc.stderr[-3000:], file=sys.stderr)
                    return 1
                done = json.loads(proc.stdout)["summary"]
                assert len(done["indexed"]) == len(films), done
                walls[w].append(wall)
                print(f"run {run + 1}, {w} worker process(es): {wall:6.1f} s ({video / wall:.1f}x real time)",
                      flush=True)
                shutil.rmtree(lib, ignore_errors=True)
    print("\nworkers  median wall  x real time  speed-up")
    base = statistics.median(walls[args.workers[0]])
    best = 0.0
    for w in args.workers:
        med = statistics.median(walls[w])
        best = max(best, video / med)
        print(f"{w:7d}  {med:9.1f} s  {video / med:10.1f}x  {base / med:7.2f}x")
    print(f"\nprojection for a {args.archive_hours:,.0f}-hour archive at {best:.1f}x real time per machine "
          f"({os.cpu_count()} cores, this build, the {args.profile} profile):")
    print("machines  wall hours  machine-hours")
    for n in (1, 10, 50, 100, 500):
        wall_h = args.archive_hours / best / n
        print(f"{n:8d}  {wall_h:10.1f}  {wall_h * n:13.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
