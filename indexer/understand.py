"""What each shot shows: the vision stage (EfficientNet-Lite3 labels and appearance, SSD objects,
OCR) and the CLIP stage, both run on the keyframe JPEGs already written, so neither decodes video.

Models come from `models/` through the registry; a model that cannot be had is announced once and
its part is skipped (never faked)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from cinesearch import models
from cinesearch.indexer.concepts import concepts_text, label_bank, shot_labels, shot_objects
from cinesearch.indexer.film_language import MotionStep, camera_motion, colour_words, light_words
from cinesearch.indexer.onscreen_text import Reading, clearest, dedupe
from cinesearch.models.device import STREAMS


@dataclass
class ShotVision:
    appearance: list[float] | None          # 1280-d, L2-normalised mean over keyframes
    labels: list[tuple[str, float]] = field(default_factory=list)
    objects: dict[str, int] = field(default_factory=dict)
    concepts: str = ""
    ocr: list[dict] = field(default_factory=list)   # {"text", "score", "time", "box"}
    # film language measured from the keyframes and the decode pass: light, colours, motion,
    # subject (tallest person or animal box, fraction of the frame height), people (SSD count)
    attributes: dict = field(default_factory=dict)
    bank: list[tuple[int, float]] = field(default_factory=list)   # (ImageNet class, probability), concepts.label_bank


TITLE_LINES = 4   # at most this many text boxes on a keyframe: a title or a caption, worth a second look

# COCO classes whose box gives a shot its scale when no face does
SUBJECTS = frozenset({"person", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra",
                      "giraffe", "teddy bear"})


@dataclass(frozen=True)
class VisionPlan:
    """Which keyframes (0, 1, 2 = at 25/50/75 %) each model looks at."""
    classify_keyframes: tuple[int, ...] = (0, 1, 2)
    detect_keyframes: tuple[int, ...] = (1,)
    ocr_keyframes: tuple[int, ...] = (1,)
    # the opening titles: in the first 5 % of a film (at most 3 minutes) a shot whose planned
    # keyframes show no text is read on its others, since titles fade in and out over footage
    opening: tuple[float, float] = (0.05, 180.0)

    def opening_end(self, duration: float) -> float:
        return min(self.opening[0] * duration, self.opening[1])


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _pick(items: Sequence, wanted: tuple[int, ...]) -> list:
    if len(items) < 3:   # short shots may have fewer keyframes: use the middle one
        return [items[len(items) // 2]] if items else []
    return [items[i] for i in wanted if i < len(items)]


def vision_models() -> tuple[object | None, object | None, object | None]:
    return models.classifier(), models.detector(), models.ocr_reader()


def _read_text(reader, images: list[tuple[float, np.ndarray]], wanted: tuple[int, ...],
               opening: bool = False) -> list[dict]:
    """Read the planned keyframes; where they show a title or a caption (a few lines), read the
    shot's other keyframes too and keep each region's clearest reading (a title fading in or out is
    whole on one of them). Shots without text, most of a film, cost one reading; so do pages of
    credits (many lines, which do not fade word by word and cost most to read). In the film's
    opening (`opening`) a shot without text on its planned keyframes is read on the others too:
    an opening title may fade in after the middle of its shot."""
    picked = _pick(images, wanted)
    readings = [Reading(b.text, b.score, t, b.box) for t, img in picked for b in reader(img)]
    if 0 < len(readings) <= TITLE_LINES * len(picked) or (opening and not readings):
        seen = {id(img) for _, img in picked}
        readings += [Reading(b.text, b.score, t, b.box) for t, img in images if id(img) not in seen
                     for b in reader(img)]
        readings = clearest(sorted(readings, key=lambda r: r.time))
    return [{"text": r.text, "score": round(r.score, 3), "time": round(r.time, 3),
             "box": [round(v, 4) for v in r.box]} for r in dedupe(readings)]


def _see(classifier, detector, images: list[tuple[float, np.ndarray]], plan: VisionPlan,
         motion: Sequence[MotionStep] | None) -> ShotVision:
    """Labels, appearance, objects and the measured film language of one shot (no OCR)."""
    appearance = None
    labels: list[tuple[str, float]] = []
    bank: list[tuple[int, float]] = []
    if classifier is not None and images:
        results = [classifier(img) for _, img in _pick(images, plan.classify_keyframes)]
        mean = np.mean([f for _, f in results], axis=0)
        appearance = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32).tolist()
        labels = shot_labels([p for p, _ in results], classifier.labels)
        bank = label_bank([p for p, _ in results])
    objects: dict[str, int] = {}
    attributes: dict = {"light": light_words([img for _, img in images]),
                        "colours": colour_words([img for _, img in images])}
    if motion is not None:
        attributes["motion"] = camera_motion(motion)
    if detector is not None:
        dets = [detector(img) for _, img in _pick(images, plan.detect_keyframes)]
        objects = shot_objects([[d.label for d in ds] for ds in dets])
        heights = [d.box[3] - d.box[1] for ds in dets for d in ds if d.label in SUBJECTS]
        attributes["subject"] = round(max(heights), 3) if heights else None
        attributes["people"] = objects.get("person", 0)
    return ShotVision(appearance, labels, objects, concepts_text(objects, labels), attributes=attributes, bank=bank)


def run_vision(keyframes: Sequence[Sequence[tuple[float, Path]]], plan: VisionPlan,
               progress: Callable[[int], None] | None = None,
               on_shot: Callable[[int, ShotVision], None] | None = None,
               motion: Sequence[Sequence[MotionStep]] | None = None,
               workers: int = STREAMS, duration: float = 0.0) -> list[ShotVision]:
    """keyframes: per shot, (time, JPEG path) of each keyframe; `duration`: the film's, which
    places its opening (`VisionPlan.opening`).

    Each shot is two tasks, seeing (classifier, detector) and reading (OCR), run by `workers`
    threads over a window of shots, so both cores stay busy whichever model a film leans on (a
    credits roll is mostly reading, an action scene mostly seeing). Every model runs on
    `model_threads()` cores and releases the GIL in native code. Results come back in shot order,
    and only a few shots' pictures are held at once, whatever the film's length."""
    classifier, detector, reader = vision_models()
    out: list[ShotVision] = []
    window: deque[tuple[Future[ShotVision], Future[list[dict]] | None]] = deque()

    def finish_oldest() -> None:
        seen, read = window.popleft()
        vision = seen.result()
        vision.ocr = read.result() if read is not None else []
        out.append(vision)
        if on_shot is not None:   # the faces stage starts on this shot while later ones are seen
            on_shot(len(out) - 1, vision)
        if progress:
            progress(1)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="vision") as pool:
        try:
            for i, kfs in enumerate(keyframes):
                images = [(t, load_rgb(p)) for t, p in kfs]
                steps = motion[i] if motion is not None and i < len(motion) else None
                # reading first: a shot's OCR is the longer task, so it starts before its seeing
                opening = bool(kfs) and kfs[0][0] < plan.opening_end(duration)
                read = pool.submit(_read_text, reader, images, plan.ocr_keyframes, opening) \
                    if reader is not None else None
                window.append((pool.submit(_see, classifier, detector, images, plan, steps), read))
                while len(window) > 2 * max(1, workers) + 2:
                    finish_oldest()
            while window:
                finish_oldest()
        finally:
            for seen, read in window:   # after a failure: drop what has not started
                seen.cancel()
                if read is not None:
                    read.cancel()
    return out


def run_clip(keyframes: Sequence[Sequence[tuple[float, Path]]]) -> np.ndarray | None:
    """(n_shots, dim) CLIP shot embeddings (the L2-normalised mean of the keyframes' embeddings),
    or None when no CLIP model is configured (announced once)."""
    encoder = models.clip_encoder()
    if encoder is None:
        return None
    flat = [p for kfs in keyframes for _, p in kfs]
    images = [Image.open(p).convert("RGB") for p in flat]
    emb = encoder.encode_images(images)
    out = np.zeros((len(keyframes), emb.shape[1]), np.float32)
    k = 0
    for i, kfs in enumerate(keyframes):
        mean = emb[k:k + len(kfs)].mean(axis=0)
        out[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        k += len(kfs)
    return out
