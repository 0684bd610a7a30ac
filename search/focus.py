"""Focus: where inside a found movie each sentence happens. Pure functions over score arrays.

Shots are scored per sentence; scores are calibrated within the movie (robust z-scores, so one
stand-out shot wins over a uniformly mediocre stretch); the span is the maximum-sum contiguous run
of calibrated scores above a threshold; a paragraph's sentences are aligned to the shots in order
(monotonic dynamic programming) and each grows into its own span around its anchor; finally the
span narrows to the cue or transcript times that matched inside it, so its edges are cue/word
times (padded by a quarter second) or shot boundaries, which are frame times.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

THRESHOLD = 1.5   # calibrated units a shot must stand out by to join a span


def calibrate(scores: np.ndarray) -> np.ndarray:
    """Robust z-scores (median and MAD): comparable across sentences and movies, unmoved by the
    few outlying shots that are exactly the ones we are looking for."""
    s = np.asarray(scores, np.float64)
    if s.size == 0:
        return s
    med = float(np.median(s))
    mad = float(np.median(np.abs(s - med))) * 1.4826
    spread = max(mad, 0.25 * float(np.std(s)), 1e-3)
    return (s - med) / spread


def max_sum_span(values: Sequence[float] | np.ndarray) -> tuple[int, int, float]:
    """(first, last, sum) of the contiguous run with the largest sum (Kadane). With no positive
    value it is the single best element."""
    v = np.asarray(values, np.float64)
    if v.size == 0:
        raise ValueError("no values")
    best = (int(np.argmax(v)), int(np.argmax(v)), float(v.max()))
    run_start, run_sum = 0, 0.0
    for i, x in enumerate(v):
        if run_sum <= 0:
            run_start, run_sum = i, float(x)
        else:
            run_sum += float(x)
        if run_sum > best[2]:
            best = (run_start, i, run_sum)
    return best


def span_around(values: Sequence[float], anchor: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """The best contiguous span that contains `anchor` and stays inside [lo, hi]: the anchor plus
    the best non-negative extension to each side."""
    v = np.asarray(values, np.float64)
    hi = len(v) - 1 if hi is None else hi
    first = last = anchor
    acc, best = 0.0, 0.0
    for i in range(anchor - 1, lo - 1, -1):
        acc += v[i]
        if acc > best:
            best, first = acc, i
    acc, best = 0.0, 0.0
    for i in range(anchor + 1, hi + 1):
        acc += v[i]
        if acc > best:
            best, last = acc, i
    return first, last


def align_in_order(scores: np.ndarray) -> list[int]:
    """Anchor shot per sentence, non-decreasing along the paragraph, maximising the summed score
    (sentences x shots matrix; dynamic programming in O(sentences x shots))."""
    s = np.asarray(scores, np.float64)
    n, m = s.shape
    if n == 0 or m == 0:
        return []
    total = np.empty((n, m))
    back = np.zeros((n, m), np.int64)
    total[0] = s[0]
    for i in range(1, n):
        best_prev = np.maximum.accumulate(total[i - 1])
        arg_prev = np.zeros(m, np.int64)
        for j in range(1, m):
            arg_prev[j] = arg_prev[j - 1] if total[i - 1][arg_prev[j - 1]] >= total[i - 1][j] else j
        total[i] = s[i] + best_prev
        back[i] = arg_prev
    out = [int(np.argmax(total[-1]))]
    for i in range(n - 1, 0, -1):
        out.append(int(back[i][out[-1]]))
    return out[::-1]


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def strongest_evidence(timed: Sequence[tuple[float, float, float]], margin: float = 0.1
                       ) -> list[tuple[float, float]]:
    """The spans of the timed texts (start, end, contribution) that scored best: the strongest and
    any within `margin` of it, relative. Contributions are what each text added to its shot's
    score, so a keyword hit on one cue of a long shot cannot pull the clip away from the cue whose
    meaning matched better (and the other way round)."""
    if not timed:
        return []
    top = max(w for _, _, w in timed)
    return [(a, b) for a, b, w in timed if w >= top - margin * abs(top)]


def tighten(span: tuple[float, float], matches: Sequence[tuple[float, float]], pad: float = 0.25
            ) -> tuple[float, float]:
    """Focus a shot-level span onto the timed texts inside it that matched the sentence (cues,
    transcript segments): their extent, padded a little, never beyond the shot span."""
    inside = [(a, b) for a, b in matches if b > span[0] and a < span[1]]
    if not inside:
        return span
    start = max(span[0], min(a for a, _ in inside) - pad)
    end = min(span[1], max(b for _, b in inside) + pad)
    return (start, end) if end > start else span


def snap_to_scenes(span: tuple[float, float], scenes: Sequence[tuple[float, float]], cover: float = 0.5
                   ) -> tuple[float, float, int, int] | None:
    """An event span as whole scenes: the scenes it covers at least `cover` of, joined (start, end,
    first scene, last scene); None when it covers no scene that much (a moment inside a long scene
    stays as found). A paragraph that tells one event comes back as its scene."""
    a, b = span
    picked = []
    for k, (s, e) in enumerate(scenes):
        inter = min(b, e) - max(a, s)
        if inter > 0 and inter >= cover * (e - s):
            picked.append(k)
    if not picked:
        return None
    first, last = picked[0], picked[-1]
    return scenes[first][0], scenes[last][1], first, last
