"""The decode pass of the shots layer: one pass over the video feeding the shot detectors, then
boundaries (fusion, fades through black, short-shot merging), keyframes and face frames written
to the movie's staging folder. Nothing here knows the store."""

from __future__ import annotations

import bisect
import io
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from cinesearch import settings
from cinesearch.indexer import boundaries as B
from cinesearch.indexer.appearance import color_histogram, shot_feature
from cinesearch.indexer.film_language import MotionMeter
from cinesearch.indexer.keyframes import ThumbSpool, keyframe_targets, nearest_available
from cinesearch.indexer.media import Frame, FramePlan, MediaInfo, iter_frames
from cinesearch.indexer.movie_spec import MovieSpec
from cinesearch.indexer.profiles import Profile
from cinesearch.indexer.shot_detectors import (
    ContentShotDetector,
    DetectorOutput,
    FrameStats,
    GradualShotDetector,
    TransNetShotDetector,
)


def fault(point: str) -> None:
    """Fault injection for the resumability tests: CINESEARCH_FAULT=<point> kills the process
    with SIGKILL at that point, exactly like a power cut."""
    if settings.get().fault == point:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class ShotPlan:
    """What the decode pass found; enough to resume without decoding again."""

    n_frames: int
    times: list[float]
    ranges: list[tuple[int, int]]
    keyframes: list[list[tuple[int, float, str]]]   # per shot: (frame, time, file name)
    features: list[list[float]]                     # colour features (fallback appearance)
    end_time: float
    face_frames: list[list[tuple[float, str]]] = field(default_factory=list)   # per shot: (time, file in faces/)
    motion: list[list[float]] = field(default_factory=list)   # camera motion steps: time, dx, dy, zoom, response


def decode_movie(spec: MovieSpec, info: MediaInfo, staging: Path, p: Profile, progress: bool = True) -> ShotPlan:
    """The one decode pass: every frame feeds the shot detectors and frame statistics; thumbnails
    and face-size frames are spooled on the way, so nothing is decoded twice."""
    thumb_every = max(1, round(info.fps / p.thumb_fps)) if info.fps > 0 else 3
    frame_plan = FramePlan(analysis_width=p.analysis_width, tiny=p.transnet, thumb_height=p.thumb_height,
                           thumb_every=thumb_every, face_height=p.face_height,
                           face_every=max(1, round(info.fps / (2 * p.face_fps))) if info.fps > 0 else 25)
    content = ContentShotDetector(info.fps, p.content_threshold)
    transnet = TransNetShotDetector(p.transnet_threshold) if p.transnet else None
    gradual = GradualShotDetector(info.fps) if p.gradual else None
    stats = FrameStats()
    motion = MotionMeter(every=max(1, round(info.fps / 8)) if info.fps > 0 else 3)   # about 8 steps a second
    spool = ThumbSpool(staging / "spool.jpgs")
    face_spool = ThumbSpool(staging / "faces.jpgs")
    expected = int(info.duration * info.fps) or None
    bar = tqdm(total=expected, unit="frame", desc=f"{spec.id} [{p.name}]", file=sys.stderr,
               disable=None if progress else True, leave=False, mininterval=0.5)
    half = (expected or 0) // 2

    def consume(frame: Frame) -> None:
        content.push(frame)
        stats.push(frame)
        motion.push(frame.time, frame.analysis)
        if transnet is not None:
            transnet.push(frame)
        if gradual is not None:
            gradual.push(frame)
        if frame.thumb is not None:
            spool.add(frame.index, frame.thumb)
        if frame.face is not None:
            face_spool.add(frame.index, frame.face)

    try:
        with FrameConsumer(consume) as consumer:
            for frame in iter_frames(info, frame_plan):
                consumer.put(frame)
                bar.update(1)
                if frame.index == half:
                    fault("decode")
        n = len(stats.times)
        ranges = shot_ranges(p, content.finish(), transnet.finish() if transnet else None, stats, info.fps,
                             gradual)
        step = float(np.median(np.diff(stats.times))) if n > 1 else (1.0 / info.fps if info.fps else 0.04)
        end_time = stats.times[-1] + step
        keyframes, features = write_keyframes(ranges, stats.times, spool, staging / "thumbs")
        face_frames = write_face_frames(ranges, stats.times, face_spool, staging / "faces", p.face_fps)
    finally:
        bar.close()
        spool.close()
        face_spool.close()
        (staging / "spool.jpgs").unlink(missing_ok=True)
        (staging / "faces.jpgs").unlink(missing_ok=True)
    return ShotPlan(n_frames=n, times=stats.times, ranges=ranges, keyframes=keyframes,
                    features=[f.tolist() for f in features], end_time=end_time, face_frames=face_frames,
                    motion=[[round(v, 5) for v in (m.time, m.dx, m.dy, m.zoom, m.response)] for m in motion.steps])


class FrameConsumer:
    """The detectors on a thread of their own, fed through a short queue, so that decoding and
    scaling the next frames (FFmpeg's threads, OpenCV) overlaps with them. Frames are consumed in
    order by one thread, so the detectors see exactly what they saw inline. Leaving the block
    waits for the queue to drain; an error on either side stops both and is raised here."""

    def __init__(self, consume: Callable[[Frame], None], depth: int = 16):
        self._consume = consume
        self._queue: queue.Queue[Frame | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="detectors", daemon=True)

    def __enter__(self) -> FrameConsumer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while (frame := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._consume(frame)
                except BaseException as exc:   # noqa: BLE001 - handed to the decoding thread
                    self._error = exc

    def put(self, frame: Frame) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(frame)

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error


def shot_ranges(profile: Profile, content: DetectorOutput, transnet: DetectorOutput | None, stats: FrameStats,
                fps: float, gradual: GradualShotDetector | None = None) -> list[tuple[int, int]]:
    """Detector evidence -> shots as frame ranges: fusion (full profile), slow dissolves (fast
    profile), fades through black, short-shot merging. Pure apart from the profile's parameters."""
    n = len(stats.times)
    fps = fps if fps > 0 else 25.0
    # Full profile: the learned detector leads and the pixel detector sharpens hard cuts.
    cuts = B.fuse_cuts(transnet.spans, content.cuts, transnet.scores, n) if transnet else content.cuts
    if gradual is not None:
        cuts = sorted({*cuts, *gradual.finish(list(cuts)).cuts})
    luma = np.asarray(stats.mean_luma, np.float32)
    dark = B.dark_frames(luma, np.asarray(stats.dark_fraction, np.float32),
                         bright_fraction=np.asarray(stats.bright_fraction, np.float32))
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


def write_face_frames(ranges: list[tuple[int, int]], times: list[float], spool: ThumbSpool, out_dir: Path,
                      per_second: float) -> list[list[tuple[float, str]]]:
    """Spooled face-size frames at about `per_second` inside each shot (at least one) for the faces
    stage; they live in the staging folder only, never in the library."""
    out_dir.mkdir(parents=True, exist_ok=True)
    available = spool.indices()
    out: list[list[tuple[float, str]]] = []
    for i, (s, e) in enumerate(ranges):
        seconds = max(0.0, float(times[e - 1]) - float(times[s])) if e > s else 0.0
        n = max(1, round(seconds * per_second))
        inside = [i for i in available[bisect.bisect_left(available, s):bisect.bisect_left(available, e)]]
        picked: list[int] = []
        for k in range(n if inside else 0):   # a shot too short to hold a sampled frame gets none
            idx = nearest_available(s + int((k + 0.5) * (e - s) / n), inside, s, e)
            if idx not in picked:
                picked.append(idx)
        frames = []
        for k, idx in enumerate(picked):
            name = f"s{i:05d}_f{k:03d}.jpg"
            (out_dir / name).write_bytes(spool.read(idx))
            frames.append((float(times[idx]), name))
        out.append(frames)
    return out
