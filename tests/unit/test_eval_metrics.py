"""The real-film evaluation's scoring (benchmarks/eval_metrics.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from eval_metrics import boundary_prf, recall_at, span_hits


def test_boundaries_match_one_to_one_within_the_tolerance():
    prf = boundary_prf([10.0, 10.5, 30.0, 50.0], [10.2, 31.0, 70.0], tolerance=2.0)
    assert (prf.matched, prf.found, prf.truth) == (2, 4, 3)
    assert abs(prf.precision - 0.5) < 1e-9 and abs(prf.recall - 2 / 3) < 1e-9


def test_one_scene_for_the_whole_film_scores_zero_and_no_cuts_on_a_clip_without_any_scores_one():
    assert boundary_prf([], [15.0, 30.0], 4.0).f1 == 0.0
    assert boundary_prf([], [], 0.25).f1 == 1.0
    assert boundary_prf([3.0], [], 0.25).f1 == 0.0


def test_a_gradual_transition_is_a_span():
    assert boundary_prf([47.0], [[45.75, 48.75]], 0.25).f1 == 1.0
    assert boundary_prf([49.1], [[45.75, 48.75]], 0.25).f1 == 0.0


def test_a_clip_counts_when_half_of_it_or_half_of_the_truth_is_shared():
    assert span_hits((10, 20), [(12, 30)])          # 8 of the clip's 10 s
    assert span_hits((0, 100), [(40, 44)])          # holds the whole true moment
    assert not span_hits((10, 20), [(19, 40)])      # grazes it
    assert recall_at([(0, 1), (10, 20)], [(12, 30)], 2) and not recall_at([(0, 1), (10, 20)], [(12, 30)], 1)
