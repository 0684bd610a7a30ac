"""Film-language attributes on frames built in the test: a pan, a tilt, a zoom, a shaking camera,
a still frame, a night frame, a black frame, colours, close-ups and wide shots."""

import cv2
import numpy as np
import pytest

from cinesearch.indexer.film_language import (
    MotionMeter,
    attribute_tags,
    attribute_words,
    camera_motion,
    colour_words,
    light_words,
    shot_scale,
)


def _texture(h: int = 400, w: int = 700, seed: int = 0) -> np.ndarray:
    """A large textured scene (smoothed noise with blobs) to cut moving views from."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 3)
    for _ in range(60):
        x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(5, 30))
        cv2.circle(base, (x, y), r, tuple(float(c) for c in rng.random(3)), -1)
    return (base / base.max() * 255).astype(np.uint8)


def _measure(frames: list[np.ndarray], fps: float = 8.0) -> str | None:
    meter = MotionMeter(every=1)
    for i, f in enumerate(frames):
        meter.push(i / fps, f)
    return camera_motion(meter.steps)


def _views(offsets: list[tuple[float, float]], scales: list[float] | None = None) -> list[np.ndarray]:
    scene = _texture()
    out = []
    for k, (ox, oy) in enumerate(offsets):
        s = scales[k] if scales else 1.0
        m = np.float32([[s, 0, (1 - s) * 350 - ox], [0, s, (1 - s) * 200 - oy]])
        warped = cv2.warpAffine(scene, m, (700, 400), flags=cv2.INTER_LINEAR)
        out.append(cv2.resize(warped[110:290, 190:510], (160, 90), interpolation=cv2.INTER_AREA))
    return out


def test_a_steady_sideways_move_is_a_pan():
    assert _measure(_views([(6.0 * k, 0.0) for k in range(12)])) == "pan"


def test_a_steady_vertical_move_is_a_tilt():
    assert _measure(_views([(0.0, 5.0 * k) for k in range(12)])) == "tilt"


def test_a_growing_view_is_a_zoom_in():
    frames = _views([(0.0, 0.0)] * 12, scales=[1.03 ** k for k in range(12)])
    assert _measure(frames) == "zoom in"
    assert _measure(frames[::-1]) == "zoom out"


def test_jitter_without_drift_is_handheld():
    rng = np.random.default_rng(3)
    assert _measure(_views([(float(x), float(y)) for x, y in rng.normal(0, 4, (14, 2))])) == "handheld"


def test_a_still_frame_is_static_and_too_few_steps_say_nothing():
    frames = _views([(0.0, 0.0)] * 10)
    assert _measure(frames) == "static"
    assert _measure(frames[:2]) is None


def test_light_words():
    black = np.zeros((90, 160, 3), np.uint8)
    assert "black screen" in light_words([black])
    night = np.full((90, 160, 3), 25, np.uint8)
    assert light_words([night])[:2] == ["dark", "night"]
    lowkey = night.copy()
    lowkey[30:50, 60:90] = 250
    assert "low-key" in light_words([lowkey])
    day = np.full((90, 160, 3), (150, 200, 250), np.uint8)
    assert light_words([day]) == ["bright", "daylight"]
    assert light_words([]) == []


def test_colour_words():
    green = np.zeros((90, 160, 3), np.uint8)
    green[:] = (40, 170, 50)
    green[:30] = (60, 120, 230)   # a blue sky over a green field
    assert colour_words([green])[:2] == ["green", "blue"]
    grey = np.tile(np.linspace(30, 230, 160, dtype=np.uint8)[None, :, None], (90, 1, 3))
    assert colour_words([grey]) == ["black and white"]


@pytest.mark.parametrize("faces,subjects,expected", [
    ([0.7], [], "extreme close-up"), ([0.3], [0.9], "close-up"), ([0.12], [], "medium shot"),
    ([0.03], [], "wide shot"), ([], [0.2], "wide shot"), ([], [0.8], "medium shot"), ([], [], None)])
def test_shot_scale(faces, subjects, expected):
    assert shot_scale(faces, subjects) == expected


def test_words_and_tags():
    attrs = {"scale": "wide shot", "motion": "pan", "light": ["dark", "night"], "colours": ["blue"],
             "people": 2, "text": True}
    words = attribute_words(attrs)
    assert words == "wide shot; the camera pans; dark, night; colours: blue; 2 people; on-screen text"
    assert attribute_tags(attrs) == {"wide", "pan", "dark", "night", "blue", "people", "text"}
    assert attribute_words({}) == ""
