"""Index one movie: probe -> one decode pass feeding the shot detectors -> boundaries -> keyframes
-> scenes -> one atomic write to the store.

Resumable: after the expensive pass, shots and keyframes are checkpointed in the movie's staging
folder; a rerun with the same fingerprint picks up from there. Idempotent: an unchanged movie
(same fingerprint) is skipped. Atomic: the store swaps the movie in one transaction.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from indexer import boundaries as B
from indexer.appearance import color_histogram, shot_feature
from indexer.errors import InputError
from indexer.fingerprint import PIPELINE_VERSION, file_hash, movie_fingerprint
from indexer.keyframes import ThumbSpool, keyframe_targets, nearest_available
from indexer.media import FramePlan, MediaInfo, iter_frames, probe
from indexer.movie_spec import MovieSpec
from indexer.scenes import SceneParams, group_scenes
from indexer.shot_detectors import ContentShotDetector, DetectorOutput, FrameStats, TransNetShotDetector
from indexer.subtitles import parse_subtitles
from search.store import Keyframe, Movie, MovieBundle, Scene, Shot, Store, TextSegment


@dataclass(frozen=True)
class Profile:
    name: str
    transnet: bool
    content_threshold: float = 27.0
    transnet_threshold: float = 0.5
    min_shot_seconds: float = 0.2
    analysis_width: int = 160
    thumb_height: int = 288
    thumb_fps: float = 8.0
    scenes: SceneParams = field(default_factory=SceneParams)


PROFILES: dict[str, Profile] = {
    "fast": Profile("fast", transnet=False),
    "full": Profile("full", transnet=True),
}


@dataclass
class ShotPlan:
    """What the decode pass found; enough to resume without decoding again."""

    n_frames: int
    times: list[float]
    ranges: list[tuple[int, int]]
    keyframes: list[list[tuple[int, float, str]]]   # per shot: (frame, time, file name)
    features: list[list[float]]
    end_time: float


@dataclass
class Outcome:
    movie_id: str
    status: str                 # indexed | resumed | unchanged
    shots: int = 0
    scenes: int = 0
    duration: float = 0.0
    seconds: float = 0.0
    source: str = ""

    def as_dict(self) -> dict:
        return {"id": self.movie_id, "status": self.status, "shots": self.shots, "scenes": self.scenes,
                "duration": round(self.duration, 3), "seconds": round(self.seconds, 3), "source": self.source}


def _fault(point: str) -> None:
    """Fault injection for the resumability tests: CINESEARCH_FAULT=<point> kills the process
    with SIGKILL at that point, exactly like a power cut."""
    if os.environ.get("CINESEARCH_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


class Indexer:
    def __init__(self, store: Store, profile: str | Profile = "fast", progress: bool = True):
        self.store = store
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.progress = progress

    # -- public --------------------------------------------------------------------------------
    def index(self, spec: MovieSpec, info: MediaInfo | None = None) -> Outcome:
        """Index one movie. `info` is the probe the caller already made, if any (probing opens the
        file and decodes a frame, so it is not repeated)."""
        t0 = time.perf_counter()
        stat = spec.video.stat()
        source = str(spec.video)
        video_hash = self.store.cached_hash(source, stat.st_size, stat.st_mtime_ns) or file_hash(spec.video)
        fingerprint = movie_fingerprint(video_hash, spec.side_files(), self.profile.name)
        existing = self.store.get_movie(spec.id)
        if existing is not None:
            if existing.fingerprint == fingerprint:
                return Outcome(spec.id, "unchanged", existing.n_shots, existing.n_scenes, existing.duration,
                               time.perf_counter() - t0, existing.source)
            if existing.source != source and existing.content_hash != video_hash:
                raise InputError(source, f"movie id {spec.id!r} is already used by {existing.source}; give this "
                                         f"movie its own \"id\" in movie.json, or 'cinesearch remove {spec.id}' first")
        info = info or probe(spec.video)
        texts = [TextSegment("subtitle", p.name, c.start, c.end, c.text)
                 for p in spec.subtitles for c in parse_subtitles(p)]  # unreadable files fail here, early
        staging = self.store.staging_dir(spec.id)
        plan, resumed = self._load_checkpoint(staging, fingerprint), True
        if plan is None:
            resumed = False
            shutil.rmtree(staging, ignore_errors=True)
            (staging / "thumbs").mkdir(parents=True)
            try:
                plan = self._analyse(spec, info, staging)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            _write_json(staging / "checkpoint.json", {"fingerprint": fingerprint, "plan": plan.__dict__})
        _fault("checkpoint")
        bundle = self._bundle(spec, info, plan, video_hash, fingerprint, stat, texts)
        self.store.put_movie(bundle, staging / "thumbs")
        shutil.rmtree(staging, ignore_errors=True)
        return Outcome(spec.id, "resumed" if resumed else "indexed", len(bundle.shots), len(bundle.scenes),
                       plan.end_time, time.perf_counter() - t0, source)

    # -- stages --------------------------------------------------------------------------------
    def _load_checkpoint(self, staging: Path, fingerprint: str) -> ShotPlan | None:
        try:
            data = json.loads((staging / "checkpoint.json").read_text())
        except (OSError, ValueError):
            return None
        if data.get("fingerprint") != fingerprint or not (staging / "thumbs").is_dir():
            return None
        plan = ShotPlan(**data["plan"])
        plan.ranges = [tuple(r) for r in plan.ranges]
        missing = [n for kfs in plan.keyframes for (_, _, n) in kfs if not (staging / "thumbs" / n).is_file()]
        return None if missing else plan

    def _analyse(self, spec: MovieSpec, info: MediaInfo, staging: Path) -> ShotPlan:
        p = self.profile
        thumb_every = max(1, round(info.fps / p.thumb_fps)) if info.fps > 0 else 3
        frame_plan = FramePlan(analysis_width=p.analysis_width, tiny=p.transnet, thumb_height=p.thumb_height,
                               thumb_every=thumb_every)
        content = ContentShotDetector(info.fps, p.content_threshold)
        transnet = TransNetShotDetector(p.transnet_threshold) if p.transnet else None
        stats = FrameStats()
        spool = ThumbSpool(staging / "spool.jpgs")
        expected = int(info.duration * info.fps) or None
        bar = tqdm(total=expected, unit="frame", desc=f"{spec.id} [{p.name}]", file=sys.stderr,
                   disable=None if self.progress else True, leave=False, mininterval=0.5)
        half = (expected or 0) // 2
        try:
            for frame in iter_frames(info, frame_plan):
                content.push(frame)
                stats.push(frame)
                if transnet is not None:
                    transnet.push(frame)
                if frame.thumb is not None:
                    spool.add(frame.index, frame.thumb)
                bar.update(1)
                if frame.index == half:
                    _fault("decode")
            n = len(stats.times)
            ranges = shot_ranges(p, content.finish(), transnet.finish() if transnet else None, stats, info.fps)
            step = float(np.median(np.diff(stats.times))) if n > 1 else (1.0 / info.fps if info.fps else 0.04)
            end_time = stats.times[-1] + step
            keyframes, features = write_keyframes(ranges, stats.times, spool, staging / "thumbs")
        finally:
            bar.close()
            spool.close()
            (staging / "spool.jpgs").unlink(missing_ok=True)
        return ShotPlan(n_frames=n, times=stats.times, ranges=ranges, keyframes=keyframes,
                        features=[f.tolist() for f in features], end_time=end_time)

    def _bundle(self, spec: MovieSpec, info: MediaInfo, plan: ShotPlan, video_hash: str, fingerprint: str,
                stat: os.stat_result, texts: list[TextSegment]) -> MovieBundle:
        times = plan.times
        shots: list[Shot] = []
        for i, (s, e) in enumerate(plan.ranges):
            end = times[e] if e < plan.n_frames else plan.end_time
            shots.append(Shot(
                index=i, start=float(times[s]), end=float(end), start_frame=s, end_frame=e,
                keyframes=[Keyframe(time=t, frame=f, path=name) for (f, t, name) in plan.keyframes[i]],
                appearance=np.asarray(plan.features[i], np.float32)))
        feats = np.asarray(plan.features, np.float32)
        scenes = [Scene(index=j, start=shots[a].start, end=shots[b].end, first_shot=a, last_shot=b)
                  for j, (a, b) in enumerate(group_scenes(feats, self.profile.scenes))]
        media = info.as_dict() | {"pipeline": PIPELINE_VERSION}
        movie = Movie(
            id=spec.id, source=str(spec.video), content_hash=video_hash, fingerprint=fingerprint,
            profile=self.profile.name, duration=plan.end_time, n_frames=plan.n_frames, media=media,
            meta=spec.meta, title=spec.title or spec.meta.get("title") or spec.video.stem, year=spec.year)
        return MovieBundle(movie=movie, shots=shots, scenes=scenes, source_size=stat.st_size,
                           source_mtime_ns=stat.st_mtime_ns, texts=texts)


def shot_ranges(profile: Profile, content: DetectorOutput, transnet: DetectorOutput | None, stats: FrameStats,
                fps: float) -> list[tuple[int, int]]:
    """Detector evidence -> shots as frame ranges: fusion (full profile), fades through black,
    short-shot merging. Pure apart from the profile's parameters."""
    n = len(stats.times)
    fps = fps if fps > 0 else 25.0
    # Full profile: the learned detector leads and the pixel detector sharpens hard cuts.
    cuts = B.fuse_cuts(transnet.spans, content.cuts, transnet.scores, n) if transnet else content.cuts
    luma = np.asarray(stats.mean_luma, np.float32)
    dark = B.dark_frames(luma, np.asarray(stats.dark_fraction, np.float32))
    black = B.runs(dark)
    fades = B.fade_spans(luma, dark, max_ramp=round(2 * fps))
    cuts = B.collapse_black_gaps(cuts, black, fades, n)
    cuts = B.merge_close_cuts(cuts, max(2, round(profile.min_shot_seconds * fps)), n)
    return B.cuts_to_ranges(cuts, n)


def write_keyframes(ranges: list[tuple[int, int]], times: list[float], spool: ThumbSpool,
                    out_dir: Path) -> tuple[list[list[tuple[int, float, str]]], list[np.ndarray]]:
    """Pick 3 spooled thumbnails per shot, write them as the shot's keyframes, and return them with
    each shot's colour feature (computed from the bytes in hand, not re-read from disk)."""
    available = spool.indices()
    keyframes: list[list[tuple[int, float, str]]] = []
    features: list[np.ndarray] = []
    for i, (s, e) in enumerate(ranges):
        kfs, hists = [], []
        for k, target in enumerate(keyframe_targets(s, e)):
            idx = nearest_available(target, available, s, e)
            data = spool.read(idx)
            name = f"s{i:05d}_k{k}.jpg"
            (out_dir / name).write_bytes(data)
            with Image.open(io.BytesIO(data)) as im:
                hists.append(color_histogram(np.asarray(im.convert("RGB"))))
            kfs.append((idx, float(times[idx]), name))
        keyframes.append(kfs)
        features.append(shot_feature(hists))
    return keyframes, features


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
