"""Pure: what an editor calls a shot (its scale, camera motion, light, colours, how many people, text
on screen), measured from frames the indexer already decoded, and said in the words an editor
types ("a wide shot at night", "close-up", "the camera pans").

Every measure is a small function of arrays so that it is unit-tested on frames built in the test;
the words are a fixed vocabulary so that they are also a filter (`shot:close-up`, `shot:night`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

# --- light -------------------------------------------------------------------------------------


def light_words(images: Sequence[np.ndarray]) -> list[str]:
    """Lighting from the keyframes' luma: a black frame, night or dark, low-key (a dark frame with
    bright highlights), bright daylight. Luma in 0..1 (Rec. 601)."""
    if not images:
        return []
    lumas = [cv2.cvtColor(np.ascontiguousarray(im[::3, ::3]), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
             for im in images]
    mean = float(np.mean([g.mean() for g in lumas]))
    p99 = float(np.mean([np.percentile(g, 99) for g in lumas]))
    if mean < 0.06 and p99 < 0.15:
        return ["black screen", "dark"]
    words: list[str] = []
    if mean < 0.22:
        words += ["dark", "night"]
        if p99 > 0.5:
            words.append("low-key")
    elif mean > 0.5:
        words += ["bright", "daylight"]
    return words


# --- colour ------------------------------------------------------------------------------------

# OpenCV hue (0..180) ranges of the named colours, for saturated pixels
_HUES = (("red", 0, 8), ("orange", 8, 20), ("yellow", 20, 34), ("green", 34, 85), ("blue", 85, 130),
         ("purple", 130, 150), ("pink", 150, 170), ("red", 170, 181))


def colour_words(images: Sequence[np.ndarray], min_share: float = 0.18) -> list[str]:
    """Dominant colours by name: each named hue (or white, grey, black, brown) holding at least
    `min_share` of the pixels; "black and white" when nearly nothing is saturated."""
    if not images:
        return []
    hsv = np.concatenate([cv2.cvtColor(np.ascontiguousarray(im[::3, ::3]), cv2.COLOR_RGB2HSV).reshape(-1, 3)
                          for im in images])   # every third pixel: shares of colour need no detail
    h, s, v = hsv[:, 0].astype(np.int32), hsv[:, 1] / 255.0, hsv[:, 2] / 255.0
    n = len(hsv)
    saturated = (s >= 0.25) & (v >= 0.2)
    if saturated.mean() < 0.03 and v.mean() > 0.08:
        return ["black and white"]
    shares: dict[str, float] = {}
    for name, lo, hi in _HUES:
        inside = saturated & (h >= lo) & (h < hi)
        if name in ("orange", "red"):
            brownish = inside & (v < 0.55)      # dark orange and red read as brown
            shares["brown"] = shares.get("brown", 0.0) + float(brownish.sum()) / n
            inside &= ~brownish
        shares[name] = shares.get(name, 0.0) + float(inside.sum()) / n
    dull = ~saturated
    shares["black"] = float((dull & (v < 0.2)).sum()) / n
    shares["white"] = float((dull & (v >= 0.8)).sum()) / n
    shares["grey"] = float((dull & (v >= 0.2) & (v < 0.8)).sum()) / n
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    return [name for name, share in ranked if share >= min_share][:3]


# --- scale -------------------------------------------------------------------------------------

SCALES = ("extreme close-up", "close-up", "medium shot", "wide shot")


def shot_scale(face_heights: Sequence[float], subject_heights: Sequence[float]) -> str | None:
    """Shot scale from the tallest face (height as a fraction of the frame) or, without a face, the
    tallest person or animal box. None when nothing in the frame gives a scale."""
    if face_heights:
        f = max(face_heights)
        if f >= 0.55:
            return "extreme close-up"
        if f >= 0.22:
            return "close-up"
        if f >= 0.08:
            return "medium shot"
        return "wide shot"
    if subject_heights:
        b = max(subject_heights)
        if b >= 0.6:
            return "medium shot"
        if b < 0.35:
            return "wide shot"
        return "medium shot"
    return None


# --- camera motion -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MotionStep:
    """Global motion between two sampled frames: shift as a fraction of the frame per second
    (x right, y down), zoom as log scale per second, and how sure phase correlation was."""
    time: float
    dx: float
    dy: float
    zoom: float
    response: float


class MotionMeter:
    """Global camera motion between frames of the decode pass, by phase correlation on the small
    analysis frames (translation) and on their log-polar spectra (scale: Fourier-Mellin). About
    0.3 ms a step (on half the 160-px analysis frame); it looks at a few frames a second, not every one."""

    def __init__(self, every: int = 3) -> None:
        self.every = max(1, every)
        self.steps: list[MotionStep] = []
        self._prev: tuple[float, np.ndarray, np.ndarray] | None = None
        self._window: np.ndarray | None = None
        self._count = 0

    def push(self, time: float, rgb: np.ndarray) -> None:
        self._count += 1
        if (self._count - 1) % self.every:
            return
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if gray.shape[1] > 96:   # global motion needs no detail: half the analysis frame is 4x cheaper
            size = (_even_dft_size(gray.shape[1] // 2), _even_dft_size(gray.shape[0] // 2))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        gray = gray.astype(np.float32)
        if self._window is None or self._window.shape != gray.shape:
            self._window = cv2.createHanningWindow(gray.shape[::-1], cv2.CV_32F)
        polar = _log_polar_spectrum(gray, self._window)
        if self._prev is not None:
            t0, g0, p0 = self._prev
            dt = max(time - t0, 1e-3)
            (sx, sy), resp = cv2.phaseCorrelate(g0, gray, self._window)
            (sr, _), _ = cv2.phaseCorrelate(p0, polar)
            h, w = gray.shape
            log_base = np.log(min(h, w) / 2.0) / w
            self.steps.append(MotionStep(time, -sx / w / dt, -sy / h / dt, -sr * log_base / dt, float(resp)))
        self._prev = (time, gray, polar)

    def reset(self) -> None:
        self._prev = None


def _even_dft_size(n: int) -> int:
    """The next even size the DFT takes without padding: phase correlation on an odd or padded
    frame is biased by half a pixel, which would read a still shot as a slow tilt."""
    m = max(2, n + n % 2)
    while cv2.getOptimalDFTSize(m) != m:
        m += 2
    return m


def _log_polar_spectrum(gray: np.ndarray, window: np.ndarray) -> np.ndarray:
    spec = np.abs(np.fft.fftshift(np.fft.fft2(gray * window))).astype(np.float32)
    spec = np.log1p(spec)
    h, w = gray.shape
    return cv2.warpPolar(spec, (w, h), (w / 2.0, h / 2.0), min(h, w) / 2.0,
                         cv2.WARP_POLAR_LOG | cv2.INTER_LINEAR)


def camera_motion(steps: Sequence[MotionStep]) -> str | None:
    """static, pan, tilt, zoom in / zoom out or handheld from the steps inside one shot (at least
    3). Pans and tilts move steadily one way; a handheld camera jitters about a small net drift."""
    good = [s for s in steps if s.response > 0.05]
    if len(good) < 3:
        return None
    dx = np.array([s.dx for s in good])
    dy = np.array([s.dy for s in good])
    zoom = np.array([s.zoom for s in good])
    mx, my, mz = float(np.median(dx)), float(np.median(dy)), float(np.median(zoom))
    jitter = float(np.median(np.hypot(dx - mx, dy - my)))
    if abs(mz) > 0.06 and abs(mz) > 2 * max(abs(mx), abs(my)):
        return "zoom in" if mz > 0 else "zoom out"
    if max(abs(mx), abs(my)) > 0.04 and max(abs(mx), abs(my)) > jitter:
        return "pan" if abs(mx) >= abs(my) else "tilt"
    if jitter > 0.03:
        return "handheld"
    return "static"


_MOTION_WORDS = {"pan": "the camera pans", "tilt": "the camera tilts", "zoom in": "the camera zooms in",
                 "zoom out": "the camera zooms out", "handheld": "handheld camera shake",
                 "static": "static camera"}


# --- words -------------------------------------------------------------------------------------


def people_words(count: int) -> list[str]:
    if count <= 0:
        return []
    return ["one person"] if count == 1 else [f"{count} people" if count < 5 else "a crowd"]


def attribute_words(attrs: dict[str, object]) -> str:
    """The attributes as a short phrase for the concepts text: "close-up; handheld camera shake;
    night; colours: blue, black; on-screen text"."""
    parts: list[str] = []
    if attrs.get("scale"):
        parts.append(str(attrs["scale"]))
    motion = attrs.get("motion")
    if isinstance(motion, str):
        parts.append(_MOTION_WORDS.get(motion, motion))
    light = attrs.get("light")
    if isinstance(light, list) and light:
        parts.append(", ".join(light))
    colours = attrs.get("colours")
    if isinstance(colours, list) and colours:
        parts.append("colours: " + ", ".join(colours))
    people = attrs.get("people")
    if isinstance(people, int):
        parts += people_words(people)
    if attrs.get("text"):
        parts.append("on-screen text")
    return "; ".join(parts)


def attribute_tags(attrs: dict[str, object]) -> set[str]:
    """The attributes as filter values (`shot:night`, `shot:pan`, `shot:close-up`, `shot:green`)."""
    tags: set[str] = set()
    for key in ("scale", "motion"):
        if isinstance(attrs.get(key), str):
            tags.add(str(attrs[key]).replace(" shot", ""))
    for key in ("light", "colours"):
        value = attrs.get(key)
        if isinstance(value, list):
            tags.update(str(v) for v in value)
    people = attrs.get("people")
    if isinstance(people, int):
        tags.add("people" if people else "no people")
    if attrs.get("text"):
        tags.add("text")
    return tags


def shot_attributes(measured: dict, face_heights: Sequence[float], faces: int, text: bool) -> dict[str, object]:
    """The final attributes of a shot: what the vision layer measured (light, colours, motion, the
    tallest subject box, the SSD person count) joined with what the faces and OCR found."""
    out: dict[str, object] = {k: measured[k] for k in ("light", "colours", "motion") if measured.get(k)}
    subject = measured.get("subject")
    scale = shot_scale(face_heights, [float(subject)] if subject else [])
    if scale:
        out["scale"] = scale
    people = max(int(measured.get("people") or 0), faces)
    if "people" in measured or faces:
        out["people"] = people
    if text:
        out["text"] = True
    return out
