"""Pure scene grouping: consecutive shots that look alike over a window form one scene.

In the spirit of LGSS: a boundary between shot i and i+1 is judged by comparing the window of
shots before it with the window after it, not just the two neighbours. Two kinds of boundary:

- *absolute*: the windows hardly look alike at all (a cut between unrelated footage);
- *relative*: in a real film neighbouring shots always look alike, so one fixed threshold finds
  nothing. There a boundary is a valley of the film's own similarity profile: a local minimum
  whose prominence (how far it dips below the peaks on either side) ranks among the film's
  deepest, taken deepest first until scenes reach a target mean length, never making a scene
  shorter than a floor. The profile compares `window_seconds` of film on each side of a gap
  (duration-weighted), and several cues (appearance, colour and light) are averaged into it.
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
    target_seconds: float = 45.0      # relative boundaries stop once scenes average this length
    min_scene_seconds: float = 6.0    # a relative boundary never leaves a scene shorter than this
    min_prominence: float = 0.03      # a valley shallower than this is noise, never a boundary
    reach: int = 4                    # shots on each side where a valley's peaks are looked for
    window_seconds: float = 10.0      # the profile compares this much film before and after a gap


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


def valley_prominence(sims: np.ndarray, reach: int) -> np.ndarray:
    """For each gap: how far its similarity dips below the lower of the highest similarities within
    `reach` gaps on its left and on its right; 0 where the gap is no local minimum. Relative to
    the film's own profile, so it means the same in a film of look-alike shots as in a montage."""
    n = len(sims)
    out = np.zeros(n, dtype=np.float32)
    for i in range(n):
        left = sims[max(0, i - reach):i]
        right = sims[i + 1:i + 1 + reach]
        if (len(left) and sims[i] > left[-1]) or (len(right) and sims[i] > right[0]):
            continue
        peak_l = float(left.max()) if len(left) else float(sims[i])
        peak_r = float(right.max()) if len(right) else float(sims[i])
        out[i] = max(0.0, min(peak_l, peak_r) - float(sims[i]))
    return out


def timed_similarity(features: np.ndarray, times: Sequence[tuple[float, float]], seconds: float) -> np.ndarray:
    """For each gap i: cosine similarity between what was on screen in the `seconds` before the
    gap and in the `seconds` after it, each shot weighted by its duration (shots whose middle lies
    in the window; the two shots beside the gap always count).

    A window of film time, not of shots, means the same in a fast-cut chase as in a slow dialogue:
    two shots are 3 s of one and 30 s of the other. Length n_shots - 1."""
    f = _normalise(np.asarray(features, dtype=np.float32))
    n = len(f)
    if n < 2:
        return np.zeros(0, dtype=np.float32)
    t = np.asarray(times, dtype=np.float64).reshape(n, 2)
    mid, dur = t.mean(axis=1), np.maximum(t[:, 1] - t[:, 0], 1e-3)
    weighted = f * dur[:, None].astype(np.float32)
    out = np.empty(n - 1, dtype=np.float32)
    for i in range(n - 1):
        cut = t[i, 1]
        lo = min(int(np.searchsorted(mid, cut - seconds, side="right")), i)
        hi = max(int(np.searchsorted(mid, cut + seconds, side="left")), i + 2)
        before, after = weighted[lo:i + 1].sum(axis=0), weighted[i + 1:hi].sum(axis=0)
        denom = float(np.linalg.norm(before) * np.linalg.norm(after))
        out[i] = float(before @ after) / denom if denom > 0 else 0.0
    return out


def profile_similarity(cues: Sequence[np.ndarray], window: int, times: Sequence[tuple[float, float]] | None = None,
                       seconds: float = 0.0) -> np.ndarray:
    """The mean of each cue's similarity across each gap (appearance, colour and light, ...): over
    `seconds` of film on each side when the shots' times are known, else over `window` shots."""
    sims = [timed_similarity(c, times, seconds) if times is not None and seconds > 0 else boundary_similarity(c, window)
            for c in cues if len(c)]
    return np.mean(np.stack(sims), axis=0) if sims else np.zeros(0, np.float32)


def relative_breaks(sims: np.ndarray, times: Sequence[tuple[float, float]], fixed: set[int],
                    banned: set[int], params: SceneParams) -> set[int]:
    """Valleys of the similarity profile, deepest first, until the scenes reach the target mean
    length; each must keep every scene at least `min_scene_seconds` long."""
    duration = times[-1][1] - times[0][0]
    wanted = round(duration / params.target_seconds) - 1
    breaks = set(fixed)
    prom = valley_prominence(sims, params.reach)
    starts = [t[0] for t in times]
    ends = [t[1] for t in times]
    for i in np.argsort(-prom, kind="stable"):
        i = int(i)
        if len(breaks) >= wanted or prom[i] < params.min_prominence:
            break
        if i in breaks or i in banned:
            continue
        left = max((b for b in breaks if b < i), default=-1)
        right = min((b for b in breaks if b > i), default=len(times) - 1)
        if ends[i] - starts[left + 1] < params.min_scene_seconds or \
                ends[right] - starts[i + 1] < params.min_scene_seconds:
            continue
        breaks.add(i)
    return breaks


def group_scenes(features: np.ndarray, params: SceneParams = SceneParams(),
                 forced_breaks: Sequence[int] = (), joined: Sequence[int] = (),
                 times: Sequence[tuple[float, float]] | None = None,
                 cues: Sequence[np.ndarray] = ()) -> list[tuple[int, int]]:
    """Group shots into scenes; returns inclusive (first_shot, last_shot) pairs covering all shots.

    `forced_breaks` are gaps (i = a break between shot i and i+1) that must be boundaries, for
    example long silences between subtitle cues, when such cues exist. `joined` gaps may not be
    boundaries: a line of dialogue that runs across the cut continues the scene (a shot /
    reverse-shot exchange looks different on both sides but is one scene). With `times` (each
    shot's start and end, seconds), relative boundaries are added from the similarity profile of
    `features` and the extra `cues` (per-shot vectors such as colour histograms).
    """
    n = len(features)
    if n == 0:
        return []
    sims = boundary_similarity(features, params.window)
    banned = {int(i) for i in joined}
    breaks = {i for i in range(n - 1) if sims[i] < params.threshold}
    breaks -= banned
    breaks |= {int(i) for i in forced_breaks if 0 <= int(i) < n - 1}
    if times is not None and len(times) == n and n > 1:
        profile = profile_similarity([np.asarray(features, np.float32), *cues], params.window, times,
                                     params.window_seconds)
        breaks = relative_breaks(profile, times, breaks, banned, params)
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
