"""A title that fades in while it wipes across the frame is read whole, not as the half-formed
words of the frame where it is still appearing (the middle keyframe, which OCR reads first)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

pytestmark = pytest.mark.slow
TITLE = "PEACH OPEN MOVIE PROJECT"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _fade_in_title(out: Path, seconds: float = 4.0, fps: int = 24) -> None:
    w, h = 640, 360
    font = ImageFont.truetype(FONT, 34) if Path(FONT).exists() else ImageFont.load_default(34)
    y = np.linspace(40, 90, h, dtype=np.float32)[:, None, None]
    background = np.broadcast_to(np.concatenate([y * 0.6, y * 0.4, y], axis=2), (h, w, 3)).astype(np.uint8)
    text_layer = Image.new("L", (w, h), 0)
    ImageDraw.Draw(text_layer).text((w // 2, h // 2), TITLE, fill=255, font=font, anchor="mm")
    mask = np.asarray(text_layer, np.float32) / 255.0
    x0, x1 = np.flatnonzero(mask.max(axis=0))[[0, -1]]
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                             "-r", str(fps), "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18",
                             str(out)], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for k in range(int(seconds * fps)):
        shown = float(np.clip((k / fps - 0.6) / 2.0, 0.0, 1.0))     # 0.6 s -> 2.6 s: wipes and fades in
        wipe = (np.arange(w) <= x0 + shown * (x1 - x0 + 1)).astype(np.float32)[None, :]
        alpha = (mask * wipe * (0.3 + 0.7 * shown))[..., None]
        frame = background * (1 - alpha) + 235 * alpha
        proc.stdin.write(frame.astype(np.uint8).tobytes())
    proc.stdin.close()
    assert proc.wait() == 0


def test_a_fading_in_title_is_read_whole(tmp_path, cli):
    video = tmp_path / "title.mp4"
    _fade_in_title(video)
    lib = tmp_path / "lib"
    res = cli("index", str(video), library=lib)
    assert res.code == 0, res.err
    shots = cli("shots", "title", "--json", library=lib).json()
    assert len(shots) == 1
    ocr = [t["text"] for t in shots[0]["texts"] if t["kind"] == "ocr"]
    assert ocr == [TITLE], ocr


def _frames_at(film: Path, times: list[float], size: tuple[int, int]) -> list[tuple[float, np.ndarray]]:
    """The frames showing at `times` (seconds), area-scaled to `size` as keyframes are."""
    import av

    out: list[tuple[float, np.ndarray]] = []
    with av.open(str(film)) as container:
        stream = container.streams.video[0]
        container.seek(int((times[0] - 1.0) / stream.time_base), stream=stream)
        wanted = list(times)
        for frame in container.decode(stream):
            if frame.time is not None and wanted and frame.time >= wanted[0]:
                out.append((wanted.pop(0), frame.to_ndarray(width=size[0], height=size[1], format="rgb24",
                                                             interpolation="AREA")))
            if not wanted:
                break
    return out


def test_an_opening_title_shown_only_late_in_its_shot_is_read(media):
    """Big Buck Bunny's 'The Peach Open Movie Project presents' fades in over the bird's shot
    (15.8-23.0 s) after its middle keyframe: the middle one alone reads nothing, and a shot in a
    film's opening is then read on its other keyframes too (at 25/50/75 % of the shot)."""
    from cinesearch import models
    from cinesearch.indexer.understand import VisionPlan, _read_text

    reader = models.ocr_reader()
    assert reader is not None
    images = _frames_at(media("bbb.mp4"), [17.6, 19.4, 21.25], (512, 288))
    assert len(images) == 3
    plan = VisionPlan()
    assert _read_text(reader, images, plan.ocr_keyframes) == []
    assert plan.opening_end(596.5) > 19.4 >= plan.opening_end(60.0)   # a minute-long film: its first 3 s
    read = " ".join(r["text"] for r in _read_text(reader, images, plan.ocr_keyframes, opening=True)).upper()
    assert "PEACH OPEN MOVIE PROJECT" in read and "PRESENTS" in read
