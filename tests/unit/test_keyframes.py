from cinesearch.indexer.keyframes import keyframe_targets, nearest_available


def test_targets_at_quarter_points():
    assert keyframe_targets(0, 100) == [25, 50, 75]
    assert keyframe_targets(242, 250) == [244, 246, 248]
    assert keyframe_targets(5, 6) == [5, 5, 5]


def test_nearest_available_prefers_frames_inside_the_shot():
    available = [0, 3, 6, 9, 12]
    assert nearest_available(7, available, 4, 11) == 6
    assert nearest_available(10, available, 4, 11) == 9  # 12 is closer by tie but outside the shot
    assert nearest_available(5, available, 4, 5) == 6     # nothing inside: nearest overall
