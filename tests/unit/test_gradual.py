"""Slow dissolves between steady shots are found; pans, moving subjects and hard cuts are not."""

import numpy as np

from cinesearch.indexer.gradual import gradual_cuts

FPS = 24.0


def _colour(k: int) -> np.ndarray:
    v = np.full(32, 0.05, np.float32)
    v[k * 8:(k + 1) * 8] = 1.0
    return v


def test_a_three_second_dissolve_is_one_boundary_in_its_middle():
    a, b = _colour(0), _colour(1)
    ramp = [(1 - w) * a + w * b for w in np.linspace(0, 1, 72)]          # 3 s
    frames = np.stack([a] * 96 + ramp + [b] * 96)
    (cut,) = gradual_cuts(frames, FPS, cuts=[])
    assert 96 + 24 <= cut <= 96 + 48


def test_a_steady_pan_across_changing_colours_is_no_boundary():
    # colour drifts all the time, as in a pan: the stretches are not steady
    t = np.linspace(0, 1, 300)[:, None]
    frames = (1 - t) * _colour(0) + t * _colour(1) + 0.3 * np.sin(40 * t) * _colour(2)
    assert gradual_cuts(frames.astype(np.float32), FPS, cuts=[]) == []


def test_nothing_is_added_next_to_a_known_cut_or_within_one_shot():
    a, b = _colour(0), _colour(1)
    frames = np.stack([a] * 120 + [b] * 120)
    assert gradual_cuts(frames, FPS, cuts=[120]) == []
    assert gradual_cuts(np.stack([a] * 240), FPS, cuts=[]) == []
