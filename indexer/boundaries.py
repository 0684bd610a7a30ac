"""Pure shot-boundary post-processing, testable without video.

Conventions: frames are numbered 0..n-1. A *cut* is the index of the first frame of a new shot
(so 0 < cut < n). A *span* is an inclusive frame range (first, last) during which a transition
is in progress (a hard cut has a one-frame span in TransNetV2's convention: the last frame of
the outgoing shot).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np


def spans_above(scores: Sequence[float] | np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Runs of consecutive frames whose score exceeds `threshold`, as inclusive spans."""
    flags = np.asarray(scores, dtype=np.float32) > threshold
    return runs(flags)


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    if flags.size == 0:
        return []
    padded = np.concatenate(([False], flags.astype(bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def span_to_cut(span: tuple[int, int]) -> int:
    """One boundary for a transition span: the frame after its middle.

    A one-frame span (s, s) from TransNetV2 marks the last frame of the outgoing shot, so the new
    shot starts at s + 1; a dissolve (s, e) becomes a single cut in its middle, not two.
    """
    s, e = span
    return (s + e) // 2 + 1


def clean_cuts(cuts: Sequence[int], n_frames: int) -> list[int]:
    """Sorted, unique cuts strictly inside (0, n_frames)."""
    return sorted({int(c) for c in cuts if 0 < int(c) < n_frames})


def dark_frames(mean_luma: np.ndarray, dark_fraction: np.ndarray, luma_max: float = 24.0,
                fraction_min: float = 0.95, bright_fraction: np.ndarray | None = None,
                bright_max: float = 0.002) -> np.ndarray:
    """Which frames are black: dim on average *and* almost every pixel dark *and* (when known)
    next to no pixel clearly lit.

    The first two keep night scenes (dim, but with lit areas) from counting as black; the third
    keeps a text card (white words on black, such as an end card after a fade) a shot of its own
    rather than part of the black it fades in from.
    """
    dark = (np.asarray(mean_luma) <= luma_max) & (np.asarray(dark_fraction) >= fraction_min)
    if bright_fraction is not None:
        dark &= np.asarray(bright_fraction) <= bright_max
    return dark


def fade_spans(mean_luma: np.ndarray, dark: np.ndarray, max_ramp: int) -> list[tuple[int, int]]:
    """Black runs widened by the fade ramps around them (luma falling into / rising out of black).

    Returns inclusive spans with a flag-free representation: each span is (first, last).
    """
    luma = np.asarray(mean_luma, dtype=np.float32)
    out: list[tuple[int, int]] = []
    for s, e in runs(np.asarray(dark, dtype=bool)):
        a = s
        while a > 0 and s - a < max_ramp and luma[a - 1] > luma[a] + 0.5:
            a -= 1
        b = e
        while b < len(luma) - 1 and b - e < max_ramp and luma[b + 1] > luma[b] + 0.5:
            b += 1
        out.append((a, b))
    return out


def collapse_black_gaps(cuts: Sequence[int], black: Sequence[tuple[int, int]], fades: Sequence[tuple[int, int]],
                        n_frames: int, tolerance: int = 2) -> list[int]:
    """Replace every cut at or inside a fade-to-black by one cut in the middle of the black run.

    `black[i]` is a run of black frames and `fades[i]` the same run widened by its ramps. A fade-out,
    black gap, fade-in is one boundary, so the black gap never becomes a shot of its own. A black run
    touching the start or the end of the video is a leader/trailer: its cuts are dropped and the
    black frames join the neighbouring shot.
    """
    result = list(clean_cuts(cuts, n_frames))
    for (bs, be), (fs, fe) in zip(black, fades, strict=True):
        lo, hi = fs - tolerance, fe + 1 + tolerance
        inside = [c for c in result if lo <= c <= hi]
        at_edge = bs == 0 or be == n_frames - 1
        if not inside and at_edge:
            continue
        result = [c for c in result if not (lo <= c <= hi)]
        if not at_edge:
            # A black gap without any detected cut in it still separates two shots (a fade).
            result.append((bs + be) // 2 + 1 if be > bs else bs)
    return clean_cuts(result, n_frames)


def merge_close_cuts(cuts: Sequence[int], min_gap: int, n_frames: int) -> list[int]:
    """Drop cuts that would leave a shot shorter than `min_gap` frames.

    Clusters of cuts closer than `min_gap` (flashes, the several hits a detector fires during a
    dissolve) become one cut at the cluster's middle. A short shot at either end of the video is
    kept when it is at least `min_gap` frames, so a real 8-frame closing shot survives.
    """
    cs = clean_cuts(cuts, n_frames)
    if min_gap <= 1 or not cs:
        return cs
    clusters: list[list[int]] = [[cs[0]]]
    for c in cs[1:]:
        if c - clusters[-1][-1] < min_gap:
            clusters[-1].append(c)
        else:
            clusters.append([c])
    merged = [(cl[0] + cl[-1] + 1) // 2 if len(cl) > 1 else cl[0] for cl in clusters]
    # Edges: a cut too close to the start or the end makes a sliver shot; drop it.
    return [c for c in merged if c >= min_gap and n_frames - c >= min_gap]


def fuse_cuts(primary_spans: Sequence[tuple[int, int]], secondary_cuts: Sequence[int],
              primary_scores: np.ndarray, n_frames: int, tolerance: int = 2,
              support_threshold: float = 0.1) -> list[int]:
    """Fuse a learned detector (TransNetV2 spans) with a fast pixel detector (content cuts).

    - A secondary cut inside a primary span, or within `tolerance` frames of it, is the same
      boundary. For a hard cut (a span of <= 2 frames) the secondary cut wins, since a pixel
      difference is frame-exact; for a gradual span the middle of the span wins.
    - A secondary cut the primary missed is kept only when the primary's score near it reaches
      `support_threshold`: weak evidence from both is a boundary, a lone pixel jump (a flash, fast
      motion) is not.
    """
    scores = np.asarray(primary_scores, dtype=np.float32)
    used: set[int] = set()
    out: list[int] = []
    sec = sorted(set(int(c) for c in secondary_cuts))
    for s, e in primary_spans:
        near = [c for c in sec if s - tolerance <= c <= e + 1 + tolerance]
        used.update(near)
        if near and e - s <= 1:
            mid = span_to_cut((s, e))
            out.append(min(near, key=lambda c: abs(c - mid)))
        else:
            out.append(span_to_cut((s, e)))
    for c in sec:
        if c in used:
            continue
        lo, hi = max(0, c - 1 - tolerance), min(n_frames, c + tolerance)
        if hi > lo and float(scores[lo:hi].max()) >= support_threshold:
            out.append(c)
    return clean_cuts(out, n_frames)


def cuts_to_ranges(cuts: Sequence[int], n_frames: int) -> list[tuple[int, int]]:
    """Shots as half-open frame ranges [start, end) covering all frames."""
    edges = [0, *clean_cuts(cuts, n_frames), n_frames]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]
