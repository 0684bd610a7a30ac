"""Pure: slow dissolves, found as a change between two steady stretches of film.

A hard-cut detector compares neighbouring frames, so a 3-s dissolve (or one in slow motion), whose
frames each differ little from the last, never trips it. Here each candidate moment c is judged
by the colour of the stretch well before it and the stretch well after it: a dissolve joins two
stretches that are each steady but unlike each other. The steadiness test is what keeps a camera
pan or a moving subject, which changes the picture as much but all the time, from counting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GradualParams:
    gap: float = 1.6          # seconds from c to the near end of each stretch (half the longest dissolve)
    stretch: float = 0.8      # seconds of each steady stretch
    min_change: float = 0.25  # 1 - cosine between the two stretches' mean colour
    steadiness: float = 8.0   # the change across must be this many times the change within either stretch
    step: int = 2             # frames between the candidates looked at


def _unit(x: np.ndarray) -> np.ndarray:
    return x / max(float(np.linalg.norm(x)), 1e-12)


def gradual_cuts(features: np.ndarray, fps: float, cuts: Sequence[int],
                 params: GradualParams = GradualParams()) -> list[int]:
    """First frames of new shots after slow transitions. `features`: one colour feature per frame
    (n, d); `cuts`: boundaries already found, near which nothing is added."""
    f = np.asarray(features, dtype=np.float32)
    n = len(f)
    gap, run = max(1, round(params.gap * fps)), max(2, round(params.stretch * fps))
    reach = gap + run
    if n < 2 * reach + 1:
        return []
    known = sorted(int(c) for c in cuts)
    csum = np.concatenate([np.zeros((1, f.shape[1]), np.float32), np.cumsum(f, axis=0)])

    def mean(a: int, b: int) -> np.ndarray:   # frames a..b-1
        return _unit((csum[b] - csum[a]) / (b - a))

    scores: list[tuple[float, int]] = []
    for c in range(reach, n - reach, max(1, params.step)):
        if any(c - reach <= k <= c + reach for k in known):
            continue
        before, after = mean(c - reach, c - gap), mean(c + gap, c + reach)
        change = 1.0 - float(before @ after)
        if change < params.min_change:
            continue
        within = max(1.0 - float(_unit(f[c - reach]) @ _unit(f[c - gap - 1])),
                     1.0 - float(_unit(f[c + gap]) @ _unit(f[c + reach - 1])), 1e-6)
        if change >= params.steadiness * within:
            scores.append((change, c))
    out: list[int] = []
    for _change, c in sorted(scores, reverse=True):   # the strongest moment of each transition
        if all(abs(c - o) > reach for o in out):
            out.append(c)
    return sorted(out)
