"""The faces stage: detect faces on frames sampled inside each shot, link them into tracks
(temporal links), embed the best detections of each track, and describe the upper body below the
face (visual links to shots where the face is turned away). Runs on JPEGs already written by the
decode pass, so it never decodes video."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cinesearch import models
from cinesearch.indexer.appearance import color_histogram
from cinesearch.indexer.tracks import Detection, Track, body_box, link_tracks
from cinesearch.indexer.understand import load_rgb
from cinesearch.models import faces as face_model
from cinesearch.search.store import FaceTrack

EMBED_PER_TRACK = 2      # embeddings are the slow part (~80 ms each on 2 cores): the best few per track


def face_analyzer(cnn: bool):
    return models.face_analyzer(cnn)


def run_faces(frames: Sequence[Sequence[tuple[float, Path]]], *, cnn: bool = False, upsample: int = 0,
              min_size: int = face_model.MIN_FACE_PX, progress: Callable[[int], None] | None = None,
              first_shot: int = 0) -> list[FaceTrack] | None:
    """frames: per shot, the (time, JPEG) of its sampled frames. None when no face model can be had."""
    analyzer = face_analyzer(cnn)
    if analyzer is None:
        return None
    classifier = models.classifier()
    detector = models.detector()
    out: list[FaceTrack] = []
    for shot, shot_frames in enumerate(frames, start=first_shot):
        images: dict[str, np.ndarray] = {}
        samples: list[list[Detection]] = []
        for t, path in shot_frames:
            img = load_rgb(path)
            images[path.name] = img
            dets = [Detection(t, box, None, face_model.face_quality(box, score), path.name)
                    for box, score in analyzer.detect(img, upsample) if face_model.box_size(box) >= min_size]
            samples.append(dets)
        tracks = link_tracks(samples)
        for track in tracks:
            out.append(_describe(track, shot, images, analyzer, classifier, detector))
        if not tracks and shot_frames and detector is not None and classifier is not None:
            person = _person(shot, shot_frames[len(shot_frames) // 2], images, detector, classifier)
            if person is not None:
                out.append(person)
        if progress:
            progress(1)
    return out


class FaceWorker:
    """The faces stage on a thread beside the vision stage: each shot is handed over as soon as the
    vision stage has seen a person in it (dlib releases the GIL, and the vision stage leaves part of
    a core idle between its model calls)."""

    def __init__(self, frames: Sequence[Sequence[tuple[float, Path]]], cnn: bool, upsample: int):
        self.frames, self.cnn, self.upsample = frames, cnn, upsample
        self._queue: queue.Queue = queue.Queue()
        self._tracks: list[FaceTrack] = []
        self._error: BaseException | None = None
        self._off = False
        self._thread = threading.Thread(target=self._work, name="faces", daemon=True)
        self._thread.start()

    def offer(self, shot: int, people: bool) -> None:
        if people and self.frames[shot]:
            self._queue.put(shot)

    def _work(self) -> None:
        while (shot := self._queue.get()) is not None:
            try:
                found = run_faces([self.frames[shot]], cnn=self.cnn, upsample=self.upsample, first_shot=shot)
                if found is None:
                    self._off = True
                else:
                    self._tracks += found
            except BaseException as exc:   # noqa: BLE001 - re-raised by result() on the indexing thread
                self._error = exc

    def close(self) -> None:
        """Let the thread finish (idempotent); the indexer calls it however the layers ended."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def result(self) -> list[FaceTrack] | None:
        """The tracks of every offered shot, in shot order (None: no face model)."""
        self.close()
        if self._error is not None:
            raise self._error
        return None if self._off else sorted(self._tracks, key=lambda t: (t.shot, t.start))


def _person_box(img: np.ndarray, detector, inside: tuple[int, int, int, int] | None = None
                ) -> tuple[int, int, int, int] | None:
    """The upper half of the largest SSD person (the one holding `inside`'s centre, if given), in
    pixels: the same body region whether the face was found or not, so the two compare."""
    if detector is None:
        return None
    h, w = img.shape[:2]
    boxes = [(int(d.box[0] * w), int(d.box[1] * h), int(d.box[2] * w), int(d.box[3] * h))
             for d in detector(img) if d.label == "person"]
    if inside is not None:
        cx, cy = (inside[0] + inside[2]) / 2, (inside[1] + inside[3]) / 2
        boxes = [b for b in boxes if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]]
    boxes = [b for b in boxes if b[2] - b[0] >= 8 and b[3] - b[1] >= 16]
    if not boxes:
        return None
    x0, y0, x1, y1 = max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    return x0, y0, x1, y0 + max(16, (y1 - y0) // 2)


# Body descriptor: what the clothes look like (EfficientNet) and their colours (HSV histogram). The
# ImageNet feature alone called every dark suit alike (0.84 between two different men); the colour
# histogram separates them (0.98 same person and clothes, 0.82 different). Cosine of the joint
# vector = 0.25 * feature cosine + 0.75 * Bhattacharyya coefficient of the colours.
BODY_FEATURE_SHARE = 0.25


def _body_vector(img: np.ndarray, box: tuple[int, int, int, int], classifier) -> np.ndarray:
    x0, y0, x1, y1 = box
    crop = img[y0:y1, x0:x1]
    feat = classifier(crop)[1]
    feat = feat / (np.linalg.norm(feat) + 1e-12)
    colours = np.sqrt(color_histogram(crop))
    colours /= np.linalg.norm(colours) + 1e-12
    return np.concatenate([np.sqrt(BODY_FEATURE_SHARE) * feat,
                           np.sqrt(1 - BODY_FEATURE_SHARE) * colours]).astype(np.float32)


def _describe(track: Track, shot: int, images: dict[str, np.ndarray], analyzer, classifier, detector
              ) -> FaceTrack:
    best = sorted(track.detections, key=lambda d: -d.quality)[:EMBED_PER_TRACK]
    for d in best:
        d.vector = analyzer.embed(images[d.frame], [d.box])[0]
    face = track.face   # the quality-weighted mean of the detections just embedded
    top = best[0]
    img = images[top.frame]
    h, wd = img.shape[:2]
    body = None
    if classifier is not None:
        box = _person_box(img, detector, top.box) or body_box(top.box, wd, h)
        if box[2] - box[0] >= 16 and box[3] - box[1] >= 16:
            body = _body_vector(img, box, classifier)
    x0, y0, x1, y1 = top.box
    return FaceTrack(shot=shot, start=track.start, end=track.end, face=face, body=body,
                     box=(x0 / wd, y0 / h, x1 / wd, y1 / h), quality=float(max(d.quality for d in track.detections)),
                     detections=len(track.detections))


def _person(shot: int, frame: tuple[float, Path], images: dict[str, np.ndarray], detector, classifier
            ) -> FaceTrack | None:
    """The largest person (SSD) of a shot where no face was usable: a wide shot, a turned head. Its
    body appearance is what visual and temporal links compare."""
    t, path = frame
    img = images[path.name]
    box = _person_box(img, detector)
    if box is None:
        return None
    h, w = img.shape[:2]
    return FaceTrack(shot=shot, start=t, end=t, face=None, body=_body_vector(img, box, classifier),
                     box=(box[0] / w, box[1] / h, box[2] / w, box[3] / h), quality=0.5, detections=1, kind="person")


def portrait_face(path: Path, cnn: bool = False) -> tuple[np.ndarray | None, int]:
    """The largest face of a cast portrait and how many faces the picture holds."""
    analyzer = face_analyzer(cnn)
    if analyzer is None:
        return None, 0
    faces = analyzer.faces(load_rgb(path), upsample=1)
    return (faces[0].vector if faces else None), len(faces)
