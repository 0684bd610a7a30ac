"""Pure parts of the speed work: the two-step area shrink, MiniLM's mean pooling, errors that
cross process boundaries, and the setting a worker process is given."""

from __future__ import annotations

import os
import pickle

import cv2
import numpy as np
import pytest

from cinesearch import settings
from cinesearch.indexer.errors import InputError
from cinesearch.indexer.media import _deferred, _scaled, shrink
from cinesearch.models.text_embed import mean_pool


def _picture(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return ((np.sin(x / 17.0) + np.cos(y / 23.0) + 2) * 60).astype(np.uint8)


@pytest.mark.parametrize(("src", "dst"), [((720, 1280), (288, 512)), ((1080, 1920), (288, 512)),
                                          ((720, 1280), (90, 160)), ((480, 640), (288, 384))])
def test_shrink_is_an_area_average(src, dst):
    plane = _picture(*src)
    out = shrink(plane, dst[1], dst[0])
    direct = cv2.resize(plane, (dst[1], dst[0]), interpolation=cv2.INTER_AREA)
    assert out.shape == direct.shape
    assert np.abs(out.astype(int) - direct.astype(int)).max() <= 2      # the same box filter, rounded twice
    assert abs(float(out.mean()) - float(plane.mean())) < 1.0


def test_shrink_halves_first_and_leaves_the_rest_to_one_area_step():
    plane = _picture(720, 1280)
    halved = cv2.resize(plane, (640, 360), interpolation=cv2.INTER_AREA)
    # a thumbnail: one halving, then the 2.5 -> 1 remainder as one area step (the pixels keyframes had)
    assert np.array_equal(shrink(plane, 512, 288), cv2.resize(halved, (512, 288), interpolation=cv2.INTER_AREA))
    # a power of two is halvings only, and a plane already at size comes back as it is
    eighth = cv2.resize(cv2.resize(halved, (320, 180), interpolation=cv2.INTER_AREA), (160, 90),
                        interpolation=cv2.INTER_AREA)
    assert np.array_equal(shrink(plane, 160, 90), eighth)
    assert shrink(eighth, 160, 90) is eighth


def test_a_deferred_picture_has_the_pixels_of_an_eager_one():
    """The keyframe spool finishes thumbnails on its own thread: same pixels, and the picture
    owns its planes (the decoder reuses its buffers)."""
    import av

    frame = av.VideoFrame.from_ndarray(np.dstack([_picture(720, 1280)] * 3), format="rgb24").reformat(format="yuv420p")
    for rotation in (0, 90):
        picture = _deferred(frame, 512, 288, rotation)
        assert all(p.base is None or p.base is not frame for p in picture._planes)
        assert np.array_equal(picture.rgb(), _scaled(frame, 512, 288, rotation))
    small = av.VideoFrame.from_ndarray(np.dstack([_picture(120, 160)] * 3), format="rgb24").reformat(format="yuv420p")
    assert np.array_equal(_deferred(small, 96, 72, 0).rgb(), _scaled(small, 96, 72, 0))


def test_mean_pool_ignores_padding_and_normalises():
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]],
                       [[0.0, 2.0], [0.0, 2.0], [0.0, 2.0]]], np.float32)
    mask = np.array([[1, 1, 0], [1, 1, 1]], np.int64)
    out = mean_pool(hidden, mask)
    assert np.allclose(out, [[1.0, 0.0], [0.0, 1.0]])
    assert out.dtype == np.float32


def test_input_errors_cross_process_boundaries_intact():
    err = pickle.loads(pickle.dumps(InputError("/films/a.mp4", "video is truncated")))
    assert isinstance(err, InputError)
    assert (err.where, err.message, str(err)) == ("/films/a.mp4", "video is truncated",
                                                  "/films/a.mp4: video is truncated")


def test_export_checks_the_value_and_sets_it(monkeypatch):
    monkeypatch.setenv("CINESEARCH_THREADS", "1")   # restored (to whatever it was) after the test
    with pytest.raises(settings.SettingsError, match="CINESEARCH_THREADS"):
        settings.export("CINESEARCH_THREADS", "0")
    assert os.environ["CINESEARCH_THREADS"] == "1"
    settings.export("CINESEARCH_THREADS", "3")
    assert settings.get().threads == 3


def test_a_chunk_ends_at_the_quietest_moment_near_its_target():
    from cinesearch.models.speech import quiet_cut

    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.3, 10_000).astype(np.float32)
    audio[4_300:4_400] = 0.0                       # a pause a little after the target
    assert 4_290 <= quiet_cut(audio, target=4_000, search=500, window=100) <= 4_300
    assert quiet_cut(audio, target=4_000, search=100, window=100) != 4_300   # out of reach: not found
    assert quiet_cut(audio[:50], target=4_000, search=500, window=100) == 50  # too short to look
