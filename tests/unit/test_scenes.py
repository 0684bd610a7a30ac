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


def _film(places: list[int], shot_seconds: float = 5.0, noise: float = 0.35) -> tuple[np.ndarray, list]:
    """A long film where every shot shares a common look (as in a real film, neighbours are always
    alike): a shared base plus its place's direction plus noise."""
    rng = np.random.default_rng(7)
    common = np.ones(16, np.float32)
    feats = np.stack([common + 0.8 * _feat(p, noise=0.0) + noise * rng.random(16).astype(np.float32)
                      for p in places])
    times = [(k * shot_seconds, (k + 1) * shot_seconds) for k in range(len(places))]
    return feats, times


def test_a_film_of_look_alike_shots_is_one_scene_by_threshold_but_split_by_its_valleys():
    places = [0] * 10 + [1] * 10 + [2] * 10 + [3] * 10     # 4 places, 50 s each
    feats, times = _film(places)
    assert group_scenes(feats) == [(0, 39)]                 # the fixed threshold sees one scene
    scenes = group_scenes(feats, times=times)
    assert scenes == [(0, 9), (10, 19), (20, 29), (30, 39)]


def test_relative_boundaries_keep_scenes_above_the_floor_and_respect_joins():
    places = [0] * 10 + [1] * 10 + [2] * 10 + [3] * 10
    feats, times = _film(places)
    scenes = group_scenes(feats, times=times, joined=[19])
    assert (0, 9) in scenes and all(b != 19 for _, b in scenes)
    short = group_scenes(feats, SceneParams(min_scene_seconds=60.0), times=times)
    assert all(times[b][1] - times[a][0] >= 60.0 for a, b in short)


def test_a_flat_profile_has_no_valleys_to_cut():
    feats = np.stack([np.ones(16, np.float32)] * 30)
    times = [(k * 5.0, (k + 1) * 5.0) for k in range(30)]
    assert group_scenes(feats, times=times) == [(0, 29)]


def test_valley_prominence_is_the_dip_below_the_lower_peak():
    from cinesearch.indexer.scenes import valley_prominence

    sims = np.array([0.9, 0.8, 0.5, 0.7, 0.95], np.float32)
    prom = valley_prominence(sims, reach=2)
    assert abs(prom[2] - 0.4) < 1e-6   # the lower of the peaks within reach (0.9, 0.95) minus 0.5
    assert prom[0] == 0 and prom[1] == 0 and prom[3] == 0


def test_the_timed_profile_weighs_shots_by_their_duration():
    from cinesearch.indexer.scenes import boundary_similarity, timed_similarity

    a, b, x = _feat(0, noise=0.0), _feat(1, noise=0.0), _feat(2, noise=0.0)
    feats = np.stack([a, a, x, a, a, b, b, b, b])   # a one-second cutaway x inside place a
    lengths = [10, 10, 1, 10, 10, 10, 10, 10, 10]
    starts = np.cumsum([0, *lengths[:-1]])
    times = [(float(s), float(s + d)) for s, d in zip(starts, lengths, strict=True)]
    timed = timed_similarity(feats, times, 10.0)
    assert int(np.argmin(timed)) == 4                       # the change of place, a | b
    assert timed[1] > 0.8 and timed[2] > 0.8                # the cutaway is a second of twenty
    by_shots = boundary_similarity(feats, 2)
    assert by_shots[1] < timed[1] and by_shots[2] < timed[2]   # two shots either side count it as half


def test_the_timed_window_always_holds_the_shots_beside_the_gap():
    from cinesearch.indexer.scenes import timed_similarity

    feats = np.stack([_feat(0, noise=0.0), _feat(0, noise=0.0), _feat(1, noise=0.0)])
    times = [(0.0, 60.0), (60.0, 120.0), (120.0, 180.0)]   # shots longer than the window
    timed = timed_similarity(feats, times, 10.0)
    assert timed.shape == (2,) and timed[0] > 0.99 and timed[1] < 0.5


def test_text_lines_count_rows_not_boxes():
    from cinesearch.indexer.text_layer import text_lines

    # a credits page as RapidOCR boxes it on Big Buck Bunny: a heading, then names, two per row
    page = [(0.30, 0.20, 0.70, 0.25), (0.10, 0.30, 0.45, 0.35), (0.55, 0.30, 0.90, 0.35),
            (0.10, 0.40, 0.45, 0.45), (0.55, 0.41, 0.90, 0.46)]
    assert text_lines(page) == 3
    assert text_lines([(0.2, 0.47, 0.5, 0.53), (0.52, 0.47, 0.8, 0.53)]) == 1   # one caption, read as two boxes
    assert text_lines([(0.2, 0.86, 0.5, 0.92), (0.52, 0.86, 0.8, 0.92)]) == 0   # a subtitle, in its band
    assert text_lines([]) == 0
    # a broadcast's furniture: a channel logo, a lower third, a ticker; none of it is a page
    assert text_lines([(0.85, 0.03, 0.97, 0.08), (0.05, 0.86, 0.6, 0.9), (0.0, 0.93, 1.0, 0.97)]) == 0


def test_a_roll_of_credits_is_one_block_and_subtitles_cut_nothing():
    from cinesearch.indexer.text_layer import page_gaps

    # shots 3-6 are pages of credits; shot 1 has a two-line subtitle
    assert page_gaps([0, 2, 0, 5, 14, 9, 3, 0]) == [3, 4, 5]
    assert page_gaps([2, 2, 2, 1]) == []
    # a page next to a subtitle is not a run of pages
    assert page_gaps([3, 2, 3]) == []
    # joined gaps are never scene boundaries, even where the pages look nothing alike
    feats = np.stack([_feat(0, seed=1), _feat(0, seed=2), _feat(1), _feat(2), _feat(3), _feat(0, seed=3)])
    times = [(i * 10.0, i * 10.0 + 10.0) for i in range(6)]
    assert group_scenes(feats, SceneParams(), times=times) == [(0, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    held = group_scenes(feats, SceneParams(), joined=page_gaps([0, 0, 4, 6, 5, 0]), times=times)
    assert held == [(0, 1), (2, 4), (5, 5)]   # the roll starts and ends a scene, and is one
