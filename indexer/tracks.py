"""Face tracks (temporal links): the detections of one face across the sampled frames of a shot,
linked by box overlap or by embedding. Pure: detections in, tracks out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

LINK_IOU = 0.3        # boxes of one face in consecutive samples overlap at least this much
LINK_COSINE = 0.90    # or the faces are the same person by embedding (see models.faces)


@dataclass
class Detection:
    time: float
    box: tuple[int, int, int, int]
    vector: np.ndarray | None     # None until embedded: the indexer links by overlap, then embeds the best
    quality: float
    frame: str = ""          # the sampled frame file it came from


@dataclass
class Track:
    detections: list[Detection] = field(default_factory=list)

    @property
    def start(self) -> float:
        return self.detections[0].time

    @property
    def end(self) -> float:
        return self.detections[-1].time

    @property
    def face(self) -> np.ndarray:
        """Quality-weighted mean of the embedded detections, L2-normalised."""
        dets = [d for d in self.detections if d.vector is not None]
        w = np.array([d.quality for d in dets]) + 1e-6
        v = (np.stack([d.vector for d in dets]) * w[:, None]).sum(axis=0)
        return (v / (np.linalg.norm(v) + 1e-12)).astype(np.float32)

    @property
    def best(self) -> Detection:
        return max(self.detections, key=lambda d: d.quality)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def link_tracks(samples: Sequence[Sequence[Detection]]) -> list[Track]:
    """samples: the detections of each sampled frame of one shot, in time order. Each detection
    joins the open track it overlaps most (or resembles most), one detection per track per frame;
    otherwise it starts a track."""
    tracks: list[Track] = []
    for dets in samples:
        taken: set[int] = set()
        for d in sorted(dets, key=lambda d: -d.quality):
            best, best_score = None, 0.0
            for ti, t in enumerate(tracks):
                if ti in taken:
                    continue
                last = t.detections[-1]
                overlap = iou(d.box, last.box)
                cosine = float(d.vector @ t.face) if d.vector is not None and last.vector is not None else 0.0
                if overlap >= LINK_IOU or cosine >= LINK_COSINE:
                    score = overlap + cosine
                    if score > best_score:
                        best, best_score = ti, score
            if best is None:
                tracks.append(Track([d]))
                taken.add(len(tracks) - 1)
            else:
                tracks[best].detections.append(d)
                taken.add(best)
    return tracks


def body_box(face: Sequence[int], width: int, height: int) -> tuple[int, int, int, int]:
    """The upper body below a face: twice the face width, from the face top to two face heights
    under it; clipped to the frame. Its appearance is the visual link to shots where the face is
    turned away or too small."""
    x0, y0, x1, y1 = face
    w, h = x1 - x0, y1 - y0
    return (max(0, int(x0 - 0.5 * w)), max(0, int(y0)), min(width, int(x1 + 0.5 * w)), min(height, int(y1 + 2 * h)))
