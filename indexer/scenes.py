"""Pure scene grouping: consecutive shots that look alike over a window form one scene.

In the spirit of LGSS: a boundary between shot i and i+1 is judged by comparing the window of
shots before it with the window after it, not just the two neighbours. Defaults were tuned on
real clips (bikes / city / carphone joins, a multi-camera live session that is one scene).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SceneParams:
    window: int = 2          # shots on each side of a candidate boundary
    threshold: float = 0.5   # a boundary when the windows' similarity falls below this
    min_shots: int = 1       # scenes shorter than this merge into their most similar neighbour


def _normalise(features: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def boundary_similarity(features: np.ndarray, window: int) -> np.ndarray:
    """For each gap i (between shot i and i+1): cosine similarity between the mean feature of the
    `window` shots before the gap and the mean feature of the `window` shots after it.

    Averaging over a window (rather than comparing two neighbours) keeps one odd shot, a cutaway
    or a reverse shot, from splitting a scene, while a change of place or light moves the whole
    window. Length n_shots - 1.
    """
    f = _normalise(np.asarray(features, dtype=np.float32))
    n = len(f)
    if n < 2:
        return np.zeros(0, dtype=np.float32)
    csum = np.concatenate([np.zeros((1, f.shape[1]), np.float32), np.cumsum(f, axis=0)])
    out = np.empty(n - 1, dtype=np.float32)
    for i in range(n - 1):
        a0, b1 = max(0, i - window + 1), min(n, i + 1 + window)
        before = (csum[i + 1] - csum[a0]) / (i + 1 - a0)
        after = (csum[b1] - csum[i + 1]) / (b1 - i - 1)
        denom = float(np.linalg.norm(before) * np.linalg.norm(after))
        out[i] = float(before @ after) / denom if denom > 0 else 0.0
    return out


def group_scenes(features: np.ndarray, params: SceneParams = SceneParams(),
                 forced_breaks: Sequence[int] = (), joined: Sequence[int] = ()) -> list[tuple[int, int]]:
    """Group shots into scenes; returns inclusive (first_shot, last_shot) pairs covering all shots.

    `forced_breaks` are gaps (i = a break between shot i and i+1) that must be boundaries, for
    example long silences between subtitle cues, when such cues exist. `joined` gaps may not be
    boundaries: a line of dialogue that runs across the cut continues the scene (a shot /
    reverse-shot exchange looks different on both sides but is one scene).
    """
    n = len(features)
    if n == 0:
        return []
    sims = boundary_similarity(features, params.window)
    breaks = {i for i in range(n - 1) if sims[i] < params.threshold}
    breaks -= {int(i) for i in joined}
    breaks |= {int(i) for i in forced_breaks if 0 <= int(i) < n - 1}
    scenes = _segments(sorted(breaks), n)
    if params.min_shots > 1:
        scenes = _merge_short(scenes, sims, params.min_shots)
    return scenes


def _segments(breaks: list[int], n: int) -> list[tuple[int, int]]:
    starts = [0, *(b + 1 for b in breaks)]
    ends = [*breaks, n - 1]
    return list(zip(starts, ends, strict=True))


def _merge_short(scenes: list[tuple[int, int]], sims: np.ndarray, min_shots: int) -> list[tuple[int, int]]:
    scenes = list(scenes)
    changed = True
    while changed and len(scenes) > 1:
        changed = False
        for k, (a, b) in enumerate(scenes):
            if b - a + 1 >= min_shots:
                continue
            left = sims[a - 1] if k > 0 else -np.inf
            right = sims[b] if k < len(scenes) - 1 else -np.inf
            if left >= right:
                scenes[k - 1] = (scenes[k - 1][0], b)
            else:
                scenes[k + 1] = (a, scenes[k + 1][1])
            del scenes[k]
            changed = True
            break
    return scenes
