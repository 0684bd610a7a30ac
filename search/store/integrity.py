"""What every store backend shares about its library folder: the single-writer lock, integrity
checks of committed movies, and leftover detection."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
from collections.abc import Iterator
from pathlib import Path

from cinesearch.search.store.base import Store, StoreError
from cinesearch.search.store.media_store import MediaStore
from cinesearch.search.store.records import CheckReport, Movie


@contextlib.contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Hold the library folder's single-writer lock (fcntl; released if the process dies)."""
    lock_path = root / ".lock"
    lock_path.touch(exist_ok=True)
    with open(lock_path, "r+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"{root}: another cinesearch process is writing to this library") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def check_movie(store: Store, movie: Movie, report: CheckReport) -> None:
    """The checks every backend runs on one committed movie: shots tile the frames, every keyframe
    file exists, scenes tile the shots."""
    where = f"movie {movie.id!r}"
    shots = store.get_shots(movie.id)
    scenes = store.get_scenes(movie.id)
    if not shots:
        report.errors.append(f"{where}: no shots")
        return
    if [s.index for s in shots] != list(range(len(shots))):
        report.errors.append(f"{where}: shot indices are not 0..{len(shots) - 1}")
    if shots[0].start_frame != 0 or shots[-1].end_frame != movie.n_frames:
        report.errors.append(f"{where}: shots do not cover frames 0..{movie.n_frames}")
    for a, b in itertools.pairwise(shots):
        if a.end_frame != b.start_frame or abs(a.end - b.start) > 1e-6:
            report.errors.append(f"{where}: gap or overlap between shots {a.index} and {b.index}")
    for s in shots:
        if not s.start < s.end or not s.start_frame < s.end_frame:
            report.errors.append(f"{where}: shot {s.index} is empty")
        if not s.keyframes:
            report.errors.append(f"{where}: shot {s.index} has no keyframes")
        for kf in s.keyframes:
            if not (store.root / kf.path).is_file():
                report.errors.append(f"{where}: missing keyframe file {kf.path}")
            if not s.start_frame <= kf.frame < s.end_frame:
                report.errors.append(f"{where}: keyframe {kf.path} lies outside shot {s.index}")
    expected = 0
    for sc in scenes:
        if sc.first_shot != expected or sc.last_shot < sc.first_shot:
            report.errors.append(f"{where}: scene {sc.index} does not continue from the previous scene")
        expected = sc.last_shot + 1
    if expected != len(shots):
        report.errors.append(f"{where}: scenes cover {expected} of {len(shots)} shots")
    if not Path(movie.source).exists():
        report.warnings.append(f"{where}: source video {movie.source} is missing (search works; playback won't)")



def orphan_runs(media: MediaStore, live: set[str]) -> list[str]:
    """Picture runs that no committed movie points to (left by a crash mid-commit)."""
    return [run for run in media.runs() if run not in live]
