"""The records every store backend holds, independent of how it holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Keyframe:
    time: float
    frame: int
    path: str          # relative to the library root

    def as_dict(self) -> dict[str, Any]:
        return {"time": round(self.time, 3), "frame": self.frame, "path": self.path}


@dataclass
class Shot:
    index: int
    start: float
    end: float
    start_frame: int
    end_frame: int     # exclusive
    keyframes: list[Keyframe] = field(default_factory=list)
    appearance: np.ndarray | None = None   # EfficientNet-Lite3 pooled feature (1280-d), L2-normalised
    visual: np.ndarray | None = None       # CLIP image embedding, when a CLIP model was configured
    id: int | None = None                  # catalogue row id (the id its vectors carry in faiss)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "start": round(self.start, 3), "end": round(self.end, 3),
            "frames": [self.start_frame, self.end_frame],
            "keyframes": [k.as_dict() for k in self.keyframes],
            "vectors": {"visual": self.visual is not None, "appearance": self.appearance is not None},
        }


@dataclass
class Scene:
    index: int
    start: float
    end: float
    first_shot: int
    last_shot: int

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "start": round(self.start, 3), "end": round(self.end, 3),
                "shots": [self.first_shot, self.last_shot]}


def _round(t: float | None) -> float | None:
    return None if t is None else round(t, 3)


TEXT_KINDS = ("subtitle", "description", "transcript", "ocr", "concepts", "script", "synopsis", "plot")


@dataclass
class TextSegment:
    """A piece of text about the movie, placed on the timeline where that is known.

    Timed kinds (subtitle, description, transcript, ocr, concepts) carry their own times; script
    and synopsis units carry the span of the scene they were aligned to and a `confidence`; the
    plot stays untimed (start/end None)."""

    kind: str          # one of TEXT_KINDS
    source: str        # where it came from: a file name, a model name
    start: float | None
    end: float | None
    text: str
    first_shot: int | None = None     # inclusive shot range the text overlaps
    last_shot: int | None = None
    confidence: float | None = None   # alignment confidence of untimed text
    extra: dict[str, Any] = field(default_factory=dict)   # ocr: time, box, score; transcript: words
    vector: np.ndarray | None = None  # text embedding (384-d MiniLM)
    id: int | None = None             # catalogue row id

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "source": self.source, "start": _round(self.start),
                             "end": _round(self.end), "text": self.text}
        if self.first_shot is not None:
            d["shots"] = [self.first_shot, self.last_shot]
        if self.confidence is not None:
            d["confidence"] = round(self.confidence, 3)
        if self.extra:
            d.update(self.extra)
        return d


@dataclass
class FaceTrack:
    """One face followed through a shot (a temporal link), or a person's body seen without a usable
    face (kind "person": face None), the node that visual links reach."""
    shot: int
    start: float
    end: float
    face: np.ndarray | None           # 128-d, L2-normalised quality-weighted mean
    body: np.ndarray | None = None    # appearance of the upper body below the face (visual link)
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)   # best detection, 0..1 of the frame
    quality: float = 0.0
    detections: int = 0
    character: str | None = None      # cast name given by propagation (None: unknown)
    confidence: float | None = None
    kind: str = "face"
    id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "shot": self.shot, "start": round(self.start, 3), "end": round(self.end, 3),
                "box": [round(v, 4) for v in self.box], "quality": round(self.quality, 3),
                "detections": self.detections, "character": self.character,
                "confidence": None if self.confidence is None else round(self.confidence, 3)}


@dataclass
class Character:
    """A cast entry of movie.json with the face of its portrait (None when no face was found)."""
    name: str
    actor: str | None = None
    portrait: str | None = None       # file name as given in movie.json
    face: np.ndarray | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"character": self.name, "actor": self.actor, "portrait": self.portrait,
                "has_face": self.face is not None}


@dataclass
class Movie:
    id: str
    source: str                 # absolute path of the video file
    content_hash: str           # of the video bytes
    fingerprint: str            # of everything that defines the indexed result
    profile: str
    duration: float
    n_frames: int
    media: dict[str, Any]
    meta: dict[str, Any]
    title: str | None = None
    year: int | None = None
    indexed_at: str = ""
    thumbs_dir: str = ""
    n_shots: int = 0
    n_scenes: int = 0
    n_texts: int = 0
    layers: dict[str, str] = field(default_factory=dict)   # layer name -> fingerprint of its inputs
    run: str = ""               # the committed write (Elasticsearch: readers see only this run's documents)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "year": self.year, "source": self.source, "texts": self.n_texts,
            "duration": round(self.duration, 3), "profile": self.profile, "shots": self.n_shots,
            "scenes": self.n_scenes, "media": self.media, "meta": self.meta, "indexed_at": self.indexed_at,
        }


@dataclass
class MovieBundle:
    """Everything one index run produces for one movie; written atomically."""

    movie: Movie
    shots: list[Shot]
    scenes: list[Scene]
    source_size: int
    source_mtime_ns: int
    texts: list[TextSegment] = field(default_factory=list)
    tracks: list[FaceTrack] = field(default_factory=list)
    characters: list[Character] = field(default_factory=list)


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors
