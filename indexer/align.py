"""Pure: put text onto the timeline.

- Timed text (a subtitle cue, a transcript segment) attaches to the shots it overlaps.
- Untimed text (script lines, synopsis sentences) is aligned to scenes by similarity, keeping its
  order: a monotonic alignment by dynamic programming (each unit goes to a scene no earlier than
  the previous unit's), with a confidence per unit.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9']+")
_STOP_WORDS = (
    "a an the and or but of to in on at by for with from as is are was were be been it its this that these "
    "those he she they we you i me my his her their our your him them us not no so do does did have has "
    "had will would can could there here then than what who whom which when where why how all any oh ok "
    "okay just up down out over into about "
)
_STOP = frozenset(_STOP_WORDS.split())


def span_to_shots(start: float, end: float, shot_starts: Sequence[float], shot_ends: Sequence[float]
                  ) -> tuple[int, int] | None:
    """Inclusive (first, last) shot indices that [start, end) overlaps; None when it lies outside."""
    n = len(shot_starts)
    if n == 0 or end <= shot_starts[0] or start >= shot_ends[-1]:
        return None
    end = max(end, start + 1e-6)
    first = max(0, bisect.bisect_right(shot_starts, start) - 1)
    last = max(first, bisect.bisect_left(shot_starts, end) - 1)
    return first, min(last, n - 1)


def scene_of_shots(scenes: Sequence[tuple[int, int]]) -> list[int]:
    """Shot index -> scene index, from inclusive (first, last) scene ranges."""
    out: list[int] = []
    for j, (a, b) in enumerate(scenes):
        out.extend([j] * (b - a + 1))
    return out


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOP and len(w) > 1}


def lexical_similarity(units: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """(m, n) share of each unit's content words found in each target (0..1). Names and rare
    words carry alignment where paraphrase defeats embeddings."""
    tw = [content_words(t) for t in targets]
    out = np.zeros((len(units), len(targets)), np.float32)
    for i, u in enumerate(units):
        uw = content_words(u)
        if not uw:
            continue
        for j, t in enumerate(tw):
            out[i, j] = len(uw & t) / len(uw)
    return out


def align_monotonic(sim: np.ndarray, temperature: float = 0.05) -> tuple[list[int], list[float]]:
    """Assign each of m units (rows) to one of n scenes (columns), non-decreasing in scene order,
    maximising the summed similarity. Returns (scene per unit, confidence per unit), where the
    confidence is the softmax weight (at `temperature`) of the chosen scene among all scenes for
    that unit: near 1 when the unit clearly belongs there, low when it was placed by order alone.
    O(m*n) time and memory."""
    sim = np.asarray(sim, np.float64)
    m, n = sim.shape if sim.ndim == 2 else (0, 0)
    if m == 0 or n == 0:
        return [], []
    back = np.zeros((m, n), np.int64)
    score = sim[0].copy()
    for i in range(1, m):
        # best previous end at or before j: running max with its argmax (earliest on ties)
        best = np.maximum.accumulate(score)
        is_new = np.concatenate([[True], score[1:] > best[:-1]])
        arg = np.maximum.accumulate(np.where(is_new, np.arange(n), 0))
        back[i] = arg
        score = best + sim[i]
    j = int(np.argmax(score))
    path = [j]
    for i in range(m - 1, 0, -1):
        j = int(back[i, j])
        path.append(j)
    path.reverse()
    z = (sim - sim.max(axis=1, keepdims=True)) / temperature
    soft = np.exp(z)
    soft /= soft.sum(axis=1, keepdims=True)
    conf = [float(soft[i, path[i]]) for i in range(m)]
    return path, conf
