"""Shot detectors behind one interface: frames go in one at a time, transition evidence comes out.

- `ContentShotDetector` (fast profile): PySceneDetect's ContentDetector on small frames.
- `TransNetShotDetector` (full profile): the TransNetV2 network on 48x27 frames.
- `GradualShotDetector` (fast profile, beside the content detector): slow dissolves, as a change
  between two steady stretches (`indexer.gradual`).
Both are fed from the same decode pass; `indexer.boundaries` turns their evidence into cuts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from cinesearch.indexer.media import Frame


@dataclass
class DetectorOutput:
    name: str
    cuts: list[int] = field(default_factory=list)            # hard cuts (first frame of new shot)
    spans: list[tuple[int, int]] = field(default_factory=list)  # transition spans, when known
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # per-frame evidence


class ShotDetector(Protocol):
    name: str

    def push(self, frame: Frame) -> None: ...

    def finish(self) -> DetectorOutput: ...


class ContentShotDetector:
    """HSV content change between consecutive frames (PySceneDetect). Frame-exact on hard cuts,
    blind to slow dissolves; our own post-processing handles short-shot merging."""

    name = "content"

    def __init__(self, fps: float, threshold: float = 27.0):
        from scenedetect.common import FrameTimecode
        from scenedetect.detectors import ContentDetector

        self._tc = FrameTimecode
        self._fps = fps if fps > 0 else 25.0
        self._det = ContentDetector(threshold=threshold, min_scene_len=1)
        self._cuts: list[int] = []
        self._scores: list[float] = []

    def push(self, frame: Frame) -> None:
        bgr = cv2.cvtColor(frame.analysis, cv2.COLOR_RGB2BGR)
        cuts = self._det.process_frame(self._tc(frame.index, fps=self._fps), bgr)
        self._cuts.extend(int(c.frame_num) for c in cuts)
        self._scores.append(float(getattr(self._det, "_frame_score", 0.0) or 0.0))

    def finish(self) -> DetectorOutput:
        scores = np.asarray(self._scores, dtype=np.float32)
        return DetectorOutput(self.name, cuts=sorted(set(self._cuts)), scores=scores)


class TransNetShotDetector:
    """TransNetV2 per-frame transition probabilities; catches dissolves and fades."""

    name = "transnetv2"

    def __init__(self, threshold: float = 0.5):
        from cinesearch.models.transnet import load_transnet

        self.threshold = threshold
        self._stream = load_transnet().stream()

    def push(self, frame: Frame) -> None:
        assert frame.tiny is not None, "TransNetV2 needs FramePlan(tiny=True)"
        self._stream.push(frame.tiny[None])

    def finish(self) -> DetectorOutput:
        from cinesearch.indexer.boundaries import span_to_cut, spans_above

        probs = self._stream.finish()
        spans = spans_above(probs, self.threshold)
        return DetectorOutput(self.name, cuts=[span_to_cut(s) for s in spans], spans=spans, scores=probs)


class FrameStats:
    """Per-frame brightness facts for fade-to-black handling."""

    name = "stats"

    def __init__(self) -> None:
        self.mean_luma: list[float] = []
        self.dark_fraction: list[float] = []
        self.bright_fraction: list[float] = []   # pixels clearly lit: text on a black card
        self.times: list[float] = []

    def push(self, frame: Frame) -> None:
        gray = cv2.cvtColor(frame.analysis, cv2.COLOR_RGB2GRAY)
        self.mean_luma.append(float(gray.mean()))
        self.dark_fraction.append(float(np.count_nonzero(gray < 32)) / gray.size)
        self.bright_fraction.append(float(np.count_nonzero(gray > 96)) / gray.size)
        self.times.append(frame.time)


class GradualShotDetector:
    """Colour of every `every`-th frame, kept small (float16, 128 bins: 22 MB for a 2-hour film at
    24 fps); at the end, `indexer.gradual` looks for dissolves the content detector missed."""

    name = "gradual"

    def __init__(self, fps: float, every: int = 2):
        self._fps = fps if fps > 0 else 25.0
        self.every = max(1, every)
        self._feats: list[np.ndarray] = []

    def push(self, frame: Frame) -> None:
        if frame.index % self.every == 0:
            from cinesearch.indexer.appearance import color_histogram

            self._feats.append(np.sqrt(color_histogram(frame.analysis)).astype(np.float16))

    def finish(self, known_cuts: list[int] | None = None) -> DetectorOutput:
        from cinesearch.indexer.gradual import gradual_cuts

        if not self._feats:
            return DetectorOutput(self.name)
        feats = np.stack(self._feats).astype(np.float32)
        known = [c // self.every for c in known_cuts or []]
        found = gradual_cuts(feats, self._fps / self.every, known)
        return DetectorOutput(self.name, cuts=[c * self.every for c in found])
