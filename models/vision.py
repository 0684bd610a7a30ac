"""Offline visual understanding of keyframes: EfficientNet-Lite3 (ImageNet labels and a 1280-d
pooled appearance feature, via ai-edge-litert) and SSD MobileNet v2 (COCO objects, via cv2.dnn).

Both run on the keyframe thumbnails (288 px tall) we already have, so no extra decoding.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cinesearch import settings
from cinesearch.models.device import configure_cpu_threads, model_threads, on_gpu
from cinesearch.models.imagenet import class_names
from cinesearch.models.registry import ModelUnavailable, quiet_stderr, resolve

FEATURE_TENSOR = "efficientnet-lite3/model/head/Squeeze1"
FEATURE_DIM = 1280

# COCO class names by the TF Object Detection API ids (1..90 with gaps).
COCO = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train", 8: "truck",
    9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign", 14: "parking meter", 15: "bench",
    16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear",
    24: "zebra", 25: "giraffe", 27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase",
    34: "frisbee", 35: "skis", 36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat",
    40: "baseball glove", 41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle",
    46: "wine glass", 47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza", 60: "donut",
    61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed", 67: "dining table", 70: "toilet",
    72: "tv", 73: "laptop", 74: "mouse", 75: "remote", 76: "keyboard", 77: "cell phone", 78: "microwave",
    79: "oven", 80: "toaster", 81: "sink", 82: "refrigerator", 84: "book", 85: "clock", 86: "vase",
    87: "scissors", 88: "teddy bear", 89: "hair drier", 90: "toothbrush",
}


@dataclass
class Detection:
    label: str
    score: float
    box: tuple[float, float, float, float]   # x0, y0, x1, y1 as fractions of the image


class ImageClassifier:
    """EfficientNet-Lite3 int8. One interpreter, guarded by a lock (TFLite interpreters are not
    re-entrant); 5-10 ms per image on one CPU thread, so batching buys nothing here."""

    def __init__(self, model_path: str, labels: list[str], threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        # The pooled feature is an intermediate tensor, readable only with preserve_all_tensors
        # (LiteRT warns that this is for debugging; the model is small, the memory cost is too).
        with warnings.catch_warnings(), quiet_stderr():
            warnings.filterwarnings("ignore", message=".*experimental_preserve_all_tensors.*")
            self._it = Interpreter(model_path=model_path, experimental_preserve_all_tensors=True, num_threads=threads)
            self._it.allocate_tensors()
        self._inp = self._it.get_input_details()[0]
        self._out = self._it.get_output_details()[0]
        feats = [t for t in self._it.get_tensor_details() if t["name"] == FEATURE_TENSOR]
        if not feats:
            raise ModelUnavailable(f"{model_path}: no tensor {FEATURE_TENSOR}; not the EfficientNet-Lite3 we expect")
        self._feat = feats[0]
        self.labels = labels
        self.size = (int(self._inp["shape"][2]), int(self._inp["shape"][1]))
        self._lock = threading.Lock()

    def __call__(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(class probabilities (1000,), pooled feature (1280,)) for one RGB uint8 image."""
        x = cv2.resize(rgb, self.size, interpolation=cv2.INTER_AREA)[None]
        with self._lock:
            self._it.set_tensor(self._inp["index"], x.astype(self._inp["dtype"]))
            self._it.invoke()
            probs = self._it.get_tensor(self._out["index"])[0]
            feat = self._it.get_tensor(self._feat["index"]).reshape(-1)
        return _dequantize(probs, self._out), _dequantize(feat, self._feat)


def _dequantize(values: np.ndarray, detail: dict) -> np.ndarray:
    scale, zero = detail.get("quantization", (0.0, 0))
    v = values.astype(np.float32)
    return (v - zero) * scale if scale else v


class ObjectDetector:
    """SSD MobileNet v2 COCO through OpenCV's DNN module (about 34 ms per image on 2 cores).

    OpenCV 5's default graph engine ran this model 25 % slower than the classic one with identical
    detections, so the classic engine is asked for where the build has it."""

    def __init__(self, graph: str, config: str, min_score: float = 0.5, cuda: bool = False):
        engine = getattr(cv2.dnn, "ENGINE_CLASSIC", None)
        self._net = (cv2.dnn.readNetFromTensorflow(graph, config) if engine is None
                     else cv2.dnn.readNetFromTensorflow(graph, config, engine))
        if cuda:   # only where OpenCV was built with CUDA (cv_cuda()); else the CPU backend stays
            self._net.setPreferableBackend(cv2.dnn.DNN_BACKEND_CUDA)
            self._net.setPreferableTarget(cv2.dnn.DNN_TARGET_CUDA)
        self.min_score = min_score
        self._lock = threading.Lock()

    def __call__(self, rgb: np.ndarray) -> list[Detection]:
        blob = cv2.dnn.blobFromImage(rgb, size=(300, 300), swapRB=False)
        with self._lock:
            self._net.setInput(blob)
            out = self._net.forward()[0, 0]
        dets = []
        for row in out:
            score, cls = float(row[2]), int(row[1])
            if score >= self.min_score and cls in COCO:
                x0, y0, x1, y1 = (float(np.clip(v, 0, 1)) for v in row[3:7])
                dets.append(Detection(COCO[cls], score, (x0, y0, x1, y1)))
        return dets


def _labels_file() -> Path:
    labels_file = resolve("efficientnet-lite3").with_name("efficientnet_labels.txt")
    if not labels_file.is_file():
        raise ModelUnavailable(f"{labels_file}: the ImageNet labels file must lie beside the weights")
    return labels_file


def load_classifier() -> ImageClassifier:
    path = resolve("efficientnet-lite3")
    labels = _labels_file().read_text().splitlines()
    try:
        return ImageClassifier(str(path), labels, threads=model_threads())
    except ImportError as exc:
        raise ModelUnavailable(f"efficientnet-lite3 needs ai-edge-litert ({exc}); pip install ai-edge-litert==2.3.0") \
            from exc


def load_class_names() -> list[str]:
    return class_names(_labels_file().read_text().splitlines())


def load_class_space(embed: Callable[[list[str]], np.ndarray], embedder: str) -> tuple[list[str], np.ndarray]:
    """The classifier's classes as matched against queries (models.imagenet.class_names) and their
    sentence vectors by `embed`, cached under CINESEARCH_CACHE by the labels and the embedder's
    name (1,000 names cost a second to embed; a CLI search should not pay it each time)."""
    text = _labels_file().read_text()
    names = class_names(text.splitlines())
    key = hashlib.sha256(f"{embedder}\n{text}".encode()).hexdigest()[:16]
    target = settings.get().cache_dir() / "labels" / f"imagenet-{key}.npy"
    try:
        vectors = np.load(target)
        if vectors.shape[0] == len(names):
            return names, vectors
    except (OSError, ValueError):
        pass
    vectors = np.asarray(embed(names), np.float32)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, vectors)
        os.replace(tmp, target)
    except OSError:
        pass   # a read-only cache only costs the second again next time
    return names, vectors


def load_detector() -> ObjectDetector:
    graph = resolve("ssd-mobilenet-coco")
    config = graph.with_name("ssd_mobilenet_v2_coco_2018_03_29.pbtxt")
    if not config.is_file():
        raise ModelUnavailable(f"{config}: the SSD graph config must lie beside the weights")
    configure_cpu_threads()
    return ObjectDetector(str(graph), str(config), cuda=on_gpu() and cv_cuda())


def cv_cuda() -> bool:
    """Whether this OpenCV build can run DNN on CUDA (pip wheels cannot; a CUDA build can)."""
    try:
        return cv2.cuda.getCudaEnabledDeviceCount() > 0
    except (AttributeError, cv2.error):
        return False
