"""The shots layer: the decode pass (indexer.decode) cut into shots, with keyframe files in the
movie's staging folder. Output: ShotLayer."""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cinesearch.indexer.decode import ShotPlan, decode_movie, fault
from cinesearch.indexer.film_language import MotionStep
from cinesearch.indexer.fingerprint import PIPELINE_VERSION
from cinesearch.indexer.layers.base import Layer, MovieRun
from cinesearch.search.store import Keyframe, Shot


@dataclass
class ShotLayer:
    """The shots of a movie with keyframe files in the staging thumbs folder."""

    n_frames: int
    end_time: float
    shots: list[Shot]
    colour: list[list[float]]
    face_frames: list[list[tuple[float, str]]] = field(default_factory=list)
    motion: list[list[float]] = field(default_factory=list)   # camera motion steps (film_language.MotionStep)

    def shot_motion(self) -> list[list[MotionStep]]:
        """Per shot, the camera motion steps wholly inside it (a step across a cut measures the cut)."""
        steps = [MotionStep(*row) for row in self.motion]
        out: list[list[MotionStep]] = [[] for _ in self.shots]
        k = 0
        for i, shot in enumerate(self.shots):
            while k < len(steps) and steps[k].time <= shot.start + 0.2:
                k += 1
            while k < len(steps) and steps[k].time < shot.end:
                out[i].append(steps[k])
                k += 1
        return out

    def keyframe_files(self, staging: Path) -> list[list[tuple[float, Path]]]:
        return [[(kf.time, staging / "thumbs" / kf.path) for kf in s.keyframes] for s in self.shots]

    def face_files(self, staging: Path) -> list[list[tuple[float, Path]]]:
        """Per shot, the frames the faces layer looks at: the face-size frames of the decode pass,
        or the keyframes when the shots were reused (no decode pass ran)."""
        if self.face_frames and len(self.face_frames) == len(self.shots):
            return [[(t, staging / "faces" / name) for t, name in fs] for fs in self.face_frames]
        return self.keyframe_files(staging)


class ShotsLayer(Layer):
    name = "shots"
    version = "4"

    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        return (PIPELINE_VERSION, run.profile.name, run.video_hash)

    def load(self, saved: Any, run: MovieRun) -> ShotLayer | None:
        plan = ShotPlan(**saved)
        thumbs = run.staging / "thumbs"
        missing = any(not (thumbs / n).is_file() for kfs in plan.keyframes for (_, _, n) in kfs)
        return None if missing else shot_layer_from_plan(plan)

    def reuse(self, run: MovieRun) -> ShotLayer | None:
        return reuse_shots(run.old_shots, run.store.root, run.staging / "thumbs") if run.old_shots else None

    def run(self, run: MovieRun) -> ShotLayer:
        return shot_layer_from_plan(decode_movie(run.spec, run.info, run.staging, run.profile, run.progress))

    def dump(self, value: ShotLayer) -> Any:
        return asdict(plan_from_layer(value))

    def stage(self, run: MovieRun) -> str | None:
        if run.stages.get(self.name) == "ran":
            fault("checkpoint")
        return None


def reuse_shots(old_shots: list[Shot], library: Path, thumbs: Path) -> ShotLayer:
    """The stored shots, their keyframe files linked (not copied) into the new run's folder."""
    shots = []
    for s in old_shots:
        kfs = []
        for kf in s.keyframes:
            name = Path(kf.path).name
            src, dst = library / kf.path, thumbs / name
            if not dst.exists():
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
            kfs.append(Keyframe(kf.time, kf.frame, name))
        shots.append(Shot(s.index, s.start, s.end, s.start_frame, s.end_frame, kfs))
    colour = [s.appearance.tolist() if s.appearance is not None else [0.0] for s in old_shots]
    return ShotLayer(n_frames=old_shots[-1].end_frame, end_time=old_shots[-1].end, shots=shots, colour=colour)


def shot_layer_from_plan(plan: ShotPlan) -> ShotLayer:
    times = plan.times
    shots = []
    for i, (s, e) in enumerate(plan.ranges):
        end = times[e] if e < plan.n_frames else plan.end_time
        shots.append(Shot(index=i, start=float(times[s]), end=float(end), start_frame=int(s), end_frame=int(e),
                          keyframes=[Keyframe(time=t, frame=f, path=name) for (f, t, name) in plan.keyframes[i]]))
    return ShotLayer(plan.n_frames, plan.end_time, shots, plan.features, plan.face_frames, plan.motion)


def plan_from_layer(layer: ShotLayer) -> ShotPlan:
    """A checkpointable plan of reused shots (frame times known at shot starts only)."""
    n = layer.n_frames
    times = [0.0] * n
    for s in layer.shots:
        times[s.start_frame] = s.start
        for kf in s.keyframes:
            times[kf.frame] = kf.time
    return ShotPlan(n_frames=n, times=times, ranges=[(s.start_frame, s.end_frame) for s in layer.shots],
                    keyframes=[[(kf.frame, kf.time, kf.path) for kf in s.keyframes] for s in layer.shots],
                    features=layer.colour, end_time=layer.end_time, face_frames=layer.face_frames,
                    motion=layer.motion)
