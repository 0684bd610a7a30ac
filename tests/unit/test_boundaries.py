"""Shot-boundary post-processing on constructed signals (no video)."""

import numpy as np

from cinesearch.indexer import boundaries as B


def test_spans_above_finds_runs():
    scores = [0, 0.9, 0.8, 0, 0, 0.7, 0]
    assert B.spans_above(scores, 0.5) == [(1, 2), (5, 5)]


def test_hard_cut_span_starts_new_shot_on_next_frame():
    # TransNetV2 marks the last frame of the outgoing shot.
    assert B.span_to_cut((9, 9)) == 10


def test_dissolve_is_one_boundary_in_its_middle():
    assert B.span_to_cut((20, 30)) == 26


def test_merge_close_cuts_collapses_detector_bursts_but_keeps_real_short_shots():
    n = 250
    # a burst of hits during a dissolve (100..104) and a real 8-frame closing shot at 242
    cuts = [30, 100, 102, 104, 242]
    merged = B.merge_close_cuts(cuts, min_gap=5, n_frames=n)
    assert merged == [30, 102, 242]


def test_merge_close_cuts_drops_slivers_at_the_edges():
    assert B.merge_close_cuts([2, 50, 248], min_gap=5, n_frames=250) == [50]


def _fade_signal():
    # shot A (bright) fades out over 10 frames, 15 black frames, fades in to shot B.
    luma = np.concatenate([np.full(40, 120.0), np.linspace(110, 20, 10), np.full(15, 3.0),
                           np.linspace(20, 110, 10), np.full(40, 120.0)])
    dark_frac = np.where(luma < 10, 1.0, 0.0)
    return luma, dark_frac


def test_fade_through_black_is_one_boundary_and_no_black_shot():
    luma, dark_frac = _fade_signal()
    n = len(luma)
    dark = B.dark_frames(luma, dark_frac)
    black = B.runs(dark)
    assert black == [(50, 64)]
    fades = B.fade_spans(luma, dark, max_ramp=25)
    # A detector firing at the start of the black, at its end, and once in the fade ramp.
    cuts = B.collapse_black_gaps([45, 50, 65], black, fades, n)
    assert cuts == [58]
    ranges = B.cuts_to_ranges(cuts, n)
    assert len(ranges) == 2


def test_fade_with_no_detector_hit_still_splits():
    luma, dark_frac = _fade_signal()
    dark = B.dark_frames(luma, dark_frac)
    cuts = B.collapse_black_gaps([], B.runs(dark), B.fade_spans(luma, dark, 25), len(luma))
    assert cuts == [58]


def test_black_leader_is_not_a_shot():
    luma = np.concatenate([np.full(12, 2.0), np.full(50, 120.0)])
    dark = B.dark_frames(luma, (luma < 10).astype(float))
    cuts = B.collapse_black_gaps([12], B.runs(dark), B.fade_spans(luma, dark, 10), len(luma))
    assert cuts == []


def test_night_scene_is_not_black():
    # dim on average, but a lit area keeps the dark fraction under 95%
    assert not B.dark_frames(np.array([18.0]), np.array([0.80]))[0]


def test_fuse_prefers_pixel_exact_cut_for_hard_cuts_and_middle_for_dissolves():
    n = 200
    probs = np.zeros(n, np.float32)
    probs[49] = 0.9            # hard cut, TransNetV2 says new shot at 50
    probs[120:131] = 0.8       # dissolve
    probs[170] = 0.15          # weak support near a content cut at 171
    spans = B.spans_above(probs, 0.5)
    content = [51, 123, 171, 90]  # 51: one frame off; 123: a hit inside the dissolve; 90: a flash
    cuts = B.fuse_cuts(spans, content, probs, n)
    assert cuts == [51, 126, 171]


def test_cuts_to_ranges_covers_every_frame():
    ranges = B.cuts_to_ranges([10, 10, 0, 30, 99], 30)
    assert ranges == [(0, 10), (10, 30)]


def test_a_text_card_on_black_is_not_black():
    # an end card: dim on average and nearly every pixel dark, but its words are lit
    luma, dark_frac = np.array([6.0, 9.0]), np.array([0.99, 0.97])
    assert B.dark_frames(luma, dark_frac).tolist() == [True, True]
    assert B.dark_frames(luma, dark_frac, bright_fraction=np.array([0.0, 0.015])).tolist() == [True, False]
