"""Scene grouping on constructed shot features (no video)."""

import numpy as np

from cinesearch.indexer.scenes import SceneParams, boundary_similarity, group_scenes


def _feat(kind: int, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.zeros(16, np.float32)
    base[kind * 4:(kind + 1) * 4] = 1.0
    return base + noise * rng.random(16).astype(np.float32)


def test_two_places_make_two_scenes():
    feats = np.stack([_feat(0, seed=i) for i in range(4)] + [_feat(1, seed=10 + i) for i in range(3)])
    assert group_scenes(feats) == [(0, 3), (4, 6)]


def test_shot_reverse_shot_stays_one_scene():
    # A B A B A B: a dialogue cut between two angles of one place shares colours
    a, b = _feat(0), 0.6 * _feat(0) + 0.4 * _feat(1)
    feats = np.stack([a, b, a, b, a, b])
    assert group_scenes(feats) == [(0, 5)]


def test_one_cutaway_does_not_split_a_scene():
    feats = np.stack([_feat(0, seed=i) for i in range(3)] + [_feat(2)] + [_feat(0, seed=5 + i) for i in range(3)])
    assert group_scenes(feats, SceneParams(window=3, threshold=0.5)) == [(0, 6)]


def test_threshold_is_tunable():
    feats = np.stack([_feat(0), 0.5 * _feat(0) + 0.5 * _feat(1), _feat(1)])
    sims = boundary_similarity(feats, window=1)
    assert group_scenes(feats, SceneParams(window=1, threshold=float(sims.min()) - 0.01)) == [(0, 2)]
    assert len(group_scenes(feats, SceneParams(window=1, threshold=1.0))) == 3


def test_forced_breaks_and_min_shots():
    feats = np.stack([_feat(0, seed=i) for i in range(6)])
    assert group_scenes(feats, forced_breaks=[2]) == [(0, 2), (3, 5)]
    feats2 = np.stack([_feat(0), _feat(0, seed=1), _feat(1), _feat(2), _feat(2, seed=3)])
    merged = group_scenes(feats2, SceneParams(window=1, threshold=0.5, min_shots=2))
    assert all(b - a + 1 >= 2 for a, b in merged)
    assert merged[0][0] == 0 and merged[-1][1] == 4


def test_empty_and_single():
    assert group_scenes(np.zeros((0, 4))) == []
    assert group_scenes(np.ones((1, 4))) == [(0, 0)]
