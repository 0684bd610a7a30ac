"""Index one movie, in layers that are each recomputed only when their inputs change:

    shots   probe -> one decode pass feeding the shot detectors -> boundaries -> keyframes
    vision  keyframes -> EfficientNet-Lite3 labels + appearance, SSD objects, OCR (no decoding)
    clip    keyframes -> CLIP shot embeddings (when a CLIP model is configured)
    speech  audio -> transcript (only when the movie has no subtitles)
    text    subtitles, descriptions, transcript, OCR, concepts, script, synopsis, plot
            -> placed on shots/scenes, aligned, embedded; scenes grouped
    -> one atomic write to the store.

Each layer's fingerprint covers its inputs. A layer whose fingerprint matches the stored movie is
taken from the store (adding a subtitle file re-runs only the text layer); a layer finished in an
interrupted run is taken from the staging checkpoint (resumable); an unchanged movie is skipped.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from dataclasses import replace as dataclasses_replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PIL import Image
from tqdm import tqdm

from indexer import boundaries as B
from indexer.appearance import color_histogram, shot_feature
from indexer.errors import InputError
from indexer.faces import FaceWorker, face_analyzer, portrait_face, run_faces
from indexer.fingerprint import PIPELINE_VERSION, file_hash
from indexer.keyframes import ThumbSpool, keyframe_targets, nearest_available
from indexer.media import FramePlan, MediaInfo, iter_frames, probe
from indexer.movie_spec import MovieSpec
from indexer.onscreen_text import respace
from indexer.scenes import SceneParams, group_scenes
from indexer.shot_detectors import ContentShotDetector, DetectorOutput, FrameStats, TransNetShotDetector
from indexer.speech import transcribe
from indexer.story_text import script_units, split_sentences, synopsis_units
from indexer.subtitles import parse_subtitles
from indexer.text_layer import align_untimed, attach_timed, dialogue_gaps, embed_texts, scene_texts
from indexer.understand import ShotVision, VisionPlan, run_clip, run_vision
from models.clip import clip_identity
from models.faces import cnn_usable
from models.registry import ModelUnavailable, notice_once, optional, resolve
from models.text_embed import load_text_embedder
from models.words import load_segmenter
from search.store import Character, FaceTrack, Keyframe, Movie, MovieBundle, Scene, Shot, Store, TextSegment

T = TypeVar("T")
LAYER_VERSIONS = {"shots": "3", "vision": "1", "clip": "1", "faces": "1", "speech": "2", "text": "3"}


@dataclass(frozen=True)
class Profile:
    name: str
    transnet: bool
    content_threshold: float = 27.0
    transnet_threshold: float = 0.5
    min_shot_seconds: float = 0.2
    analysis_width: int = 160
    thumb_height: int = 288
    thumb_fps: float = 8.0
    scenes: SceneParams = field(default_factory=SceneParams)
    vision: VisionPlan = field(default_factory=VisionPlan)
    speech_model: str = "whisper-tiny.en"
    speech_beam: int = 1
    face_fps: float = 0.5          # frames sampled per second of each shot for faces (at least one)
    face_height: int = 360         # faces are looked for on frames this tall (HOG upsampled once)
    face_upsample: int = 1         # HOG upsampling (1 finds faces of ~40 px instead of ~80, at 4x the cost)
    face_cnn: bool = False         # dlib's CNN (MMOD) detector instead of HOG, where dlib has CUDA
    faces_where_people: bool = True   # look for faces only in shots where SSD saw a person


PROFILES: dict[str, Profile] = {
    "fast": Profile("fast", transnet=False),
    "full": Profile("full", transnet=True, vision=VisionPlan(classify_keyframes=(0, 1, 2), detect_keyframes=(0, 1, 2),
                                                         ocr_keyframes=(0, 1, 2)),
                    speech_model="whisper-base", speech_beam=5, face_fps=2.0, face_cnn=True,
                    faces_where_people=False),
}


@dataclass
class ShotPlan:
    """What the decode pass found; enough to resume without decoding again."""

    n_frames: int
    times: list[float]
    ranges: list[tuple[int, int]]
    keyframes: list[list[tuple[int, float, str]]]   # per shot: (frame, time, file name)
    features: list[list[float]]                     # colour features (fallback appearance)
    end_time: float
    face_frames: list[list[tuple[float, str]]] = field(default_factory=list)   # per shot: (time, file in faces/)


@dataclass
class ShotLayer:
    """The shots of a movie with keyframe files in the staging thumbs folder."""

    n_frames: int
    end_time: float
    shots: list[Shot]
    colour: list[list[float]]
    face_frames: list[list[tuple[float, str]]] = field(default_factory=list)


@dataclass
class Outcome:
    movie_id: str
    status: str                 # indexed | resumed | updated | unchanged
    shots: int = 0
    scenes: int = 0
    duration: float = 0.0
    seconds: float = 0.0
    source: str = ""
    stages: dict[str, str] = field(default_factory=dict)   # layer -> ran | reused | resumed | skipped | off
    timings: dict[str, float] = field(default_factory=dict)  # layer -> wall seconds

    def as_dict(self) -> dict:
        return {"id": self.movie_id, "status": self.status, "shots": self.shots, "scenes": self.scenes,
                "duration": round(self.duration, 3), "seconds": round(self.seconds, 3), "source": self.source,
                "stages": self.stages}


def _fault(point: str) -> None:
    """Fault injection for the resumability tests: CINESEARCH_FAULT=<point> kills the process
    with SIGKILL at that point, exactly like a power cut."""
    if os.environ.get("CINESEARCH_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _h(*parts: object) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def _available(name: str) -> bool:
    try:
        resolve(name)
        return True
    except ModelUnavailable:
        return False


class Checkpoint:
    """Finished layers of an interrupted run, in the movie's staging folder, each saved with the
    fingerprint it was computed for."""

    def __init__(self, staging: Path):
        self.path = staging / "checkpoint.json"
        self._lock = threading.Lock()   # the speech layer finishes on its own thread
        try:
            self.data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}

    def get(self, layer: str, fingerprint: str):
        entry = self.data.get(layer)
        return entry["value"] if entry and entry.get("fingerprint") == fingerprint else None

    def put(self, layer: str, fingerprint: str, value) -> None:
        with self._lock:
            self.data[layer] = {"fingerprint": fingerprint, "value": value}
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data))
            os.replace(tmp, self.path)


class Indexer:
    def __init__(self, store: Store, profile: str | Profile = "fast", progress: bool = True):
        self.store = store
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.progress = progress
        self._cnn = self.profile.face_cnn and cnn_usable()

    # -- fingerprints --------------------------------------------------------------------------
    def fingerprints(self, spec: MovieSpec, video_hash: str) -> dict[str, str]:
        """One fingerprint per layer, each covering exactly that layer's inputs (and which models
        were available, so installing one later re-runs its layer)."""
        p = self.profile
        shots = _h("shots", LAYER_VERSIONS["shots"], PIPELINE_VERSION, p.name, video_hash)
        models = [m for m in ("efficientnet-lite3", "ssd-mobilenet-coco", "rapidocr") if _available(m)]
        vision = _h("vision", LAYER_VERSIONS["vision"], shots, p.vision, *models)
        clip_id = clip_identity()
        clip = _h("clip", LAYER_VERSIONS["clip"], shots, clip_id) if clip_id else "off"
        if spec.subtitles:
            speech = "subtitled"
        elif not _available(p.speech_model):
            speech = "off"
        else:
            speech = _h("speech", LAYER_VERSIONS["speech"], video_hash, p.speech_model, p.speech_beam)
        side = sorted(f"{f.name}:{file_hash(f)}" for f in spec.side_files())
        faces = _h("faces", LAYER_VERSIONS["faces"], shots, p.face_fps, p.face_height, p.face_upsample, self._cnn,
                   vision if p.faces_where_people else "") if _available("dlib-faces") else "off"
        text = _h("text", LAYER_VERSIONS["text"], shots, vision, clip, speech, faces, _available("minilm"),
                  _available("wordsegment"), *side)
        return {"shots": shots, "vision": vision, "clip": clip, "faces": faces, "speech": speech, "text": text}

    # -- public --------------------------------------------------------------------------------
    def index(self, spec: MovieSpec, info: MediaInfo | None = None) -> Outcome:
        """Index one movie. `info` is the probe the caller already made, if any (probing opens the
        file and decodes a frame, so it is not repeated)."""
        t0 = time.perf_counter()
        stat = spec.video.stat()
        source = str(spec.video)
        video_hash = self.store.cached_hash(source, stat.st_size, stat.st_mtime_ns) or file_hash(spec.video)
        fps = self.fingerprints(spec, video_hash)
        existing = self.store.get_movie(spec.id)
        if existing is not None:
            if existing.fingerprint == fps["text"]:
                return Outcome(spec.id, "unchanged", existing.n_shots, existing.n_scenes, existing.duration,
                               time.perf_counter() - t0, existing.source)
            if existing.source != source and existing.content_hash != video_hash:
                raise InputError(source, f"movie id {spec.id!r} is already used by {existing.source}; give this "
                                         f"movie its own \"id\" in movie.json, or 'cinesearch remove {spec.id}' first")
        # Unreadable side files fail here, before any work and before the library is touched.
        cues = [TextSegment("subtitle", p.name, c.start, c.end, c.text) for p in spec.subtitles
                for c in parse_subtitles(p)]
        cues += [TextSegment("description", p.name, c.start, c.end, c.text) for p in spec.descriptions
                 for c in parse_subtitles(p)]
        script = _read_script(spec)
        info = info or probe(spec.video)
        stages: dict[str, str] = {}
        staging = self.store.staging_dir(spec.id)
        ck = Checkpoint(staging)
        if ck.get("shots", fps["shots"]) is None or not (staging / "thumbs").is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            (staging / "thumbs").mkdir(parents=True)
            ck = Checkpoint(staging)
        old = existing if existing is not None and existing.layers.get("shots") == fps["shots"] else None
        old_shots = self.store.get_shots(spec.id) if old else []
        old_texts = self.store.get_texts(spec.id, vectors=True) if existing is not None else []

        timings: dict[str, float] = {}

        def timed(name: str, fn, *a):
            t = time.perf_counter()
            try:
                return fn(*a)
            finally:
                timings[name] = time.perf_counter() - t

        # Speech needs only the audio, so it runs on its own thread beside the picture layers
        # (CTranslate2 and FFmpeg release the GIL). Leaving the `with` waits for it, also when a
        # picture layer fails, so an error never returns while a transcription still runs.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech") as pool:
            speech = pool.submit(timed, "speech", self._speech_layer, spec, info, ck, fps["speech"], existing,
                                 old_texts, stages)
            layer = timed("shots", self._shots_layer, spec, info, staging, ck, fps["shots"], old_shots, stages)
            early = self._early_faces(layer, staging, ck, fps["faces"], old)
            try:
                vision = timed("vision", self._vision_layer, layer, staging, ck, fps["vision"], old, old_shots,
                               old_texts, stages, early)
                visual = timed("clip", self._clip_layer, layer, staging, ck, fps["clip"], old, old_shots, stages)
                tracks = timed("faces", self._faces_layer, spec, layer, vision, staging, ck, fps["faces"], old,
                               stages, early if stages.get("vision") == "ran" else None)
            finally:
                if early is not None:
                    early.close()
            characters = timed("cast", self._characters, spec)
        transcript = speech.result()
        bundle = timed("text", self._text_layer, spec, layer, vision, visual, transcript, cues, script, old_texts,
                       stages)
        movie = Movie(
            id=spec.id, source=source, content_hash=video_hash, fingerprint=fps["text"], profile=self.profile.name,
            duration=layer.end_time, n_frames=layer.n_frames,
            media=info.as_dict() | {"pipeline": PIPELINE_VERSION}, meta=spec.meta,
            title=spec.title or spec.meta.get("title") or spec.video.stem,
            year=spec.year, layers=fps)
        shots, scenes, texts = bundle
        timed("write", self.store.put_movie, MovieBundle(movie=movie, shots=shots, scenes=scenes,
                                                         source_size=stat.st_size, source_mtime_ns=stat.st_mtime_ns,
                                                         texts=texts, tracks=tracks, characters=characters),
              staging / "thumbs")
        shutil.rmtree(staging, ignore_errors=True)
        status = "updated" if existing is not None and old else \
            "resumed" if "resumed" in stages.values() else "indexed"
        order = [*LAYER_VERSIONS, "cast", "write"]   # speech may finish first; report layers in pipeline order
        return Outcome(spec.id, status, len(shots), len(scenes), layer.end_time, time.perf_counter() - t0, source,
                       {k: stages[k] for k in order if k in stages}, {k: timings[k] for k in order if k in timings})

    # -- layers --------------------------------------------------------------------------------
    def _layer(self, name: str, fp: str, ck: Checkpoint, stages: dict[str, str], *,
               load: Callable[[Any], T | None], reuse: Callable[[], T | None], run: Callable[[], T | None],
               dump: Callable[[T], Any]) -> T | None:
        """The life of every layer: taken from the interrupted run's checkpoint when it is there and
        usable (`load` returns None otherwise), else from the stored movie when its fingerprint
        matches (`reuse` returns None otherwise), else computed by `run` (None: its model is off).
        Whatever is kept is checkpointed, so a crash later in this run does not redo it."""
        saved = ck.get(name, fp)
        value = load(saved) if saved is not None else None
        if value is not None:
            stages[name] = "resumed"
            return value
        value = reuse()
        stages[name] = "reused"
        if value is None:
            value = run()
            stages[name] = "ran" if value is not None else "off"
        if value is not None:
            ck.put(name, fp, dump(value))
        return value

    def _shots_layer(self, spec: MovieSpec, info: MediaInfo, staging: Path, ck: Checkpoint, fp: str,
                     old_shots: list[Shot], stages: dict[str, str]) -> ShotLayer:
        def load(saved) -> ShotLayer | None:
            plan = ShotPlan(**saved)
            missing = any(not (staging / "thumbs" / n).is_file() for kfs in plan.keyframes for (_, _, n) in kfs)
            return None if missing else _shot_layer_from_plan(plan)

        layer = self._layer(
            "shots", fp, ck, stages, load=load,
            reuse=lambda: self._reuse_shots(old_shots, staging / "thumbs") if old_shots else None,
            run=lambda: _shot_layer_from_plan(self._analyse(spec, info, staging)),
            dump=lambda layer: asdict(_plan_from_layer(layer)))
        if stages["shots"] == "ran":
            _fault("checkpoint")
        return layer

    def _reuse_shots(self, old_shots: list[Shot], thumbs: Path) -> ShotLayer:
        """The stored shots, their keyframe files linked (not copied) into the new run's folder."""
        shots = []
        for s in old_shots:
            kfs = []
            for kf in s.keyframes:
                name = Path(kf.path).name
                src, dst = self.store.root / kf.path, thumbs / name
                if not dst.exists():
                    try:
                        os.link(src, dst)
                    except OSError:
                        shutil.copyfile(src, dst)
                kfs.append(Keyframe(kf.time, kf.frame, name))
            shots.append(Shot(s.index, s.start, s.end, s.start_frame, s.end_frame, kfs))
        colour = [s.appearance.tolist() if s.appearance is not None else [0.0] for s in old_shots]
        return ShotLayer(n_frames=old_shots[-1].end_frame, end_time=old_shots[-1].end, shots=shots, colour=colour)

    def _keyframe_files(self, layer: ShotLayer, staging: Path) -> list[list[tuple[float, Path]]]:
        return [[(kf.time, staging / "thumbs" / kf.path) for kf in s.keyframes] for s in layer.shots]

    def _vision_layer(self, layer: ShotLayer, staging: Path, ck: Checkpoint, fp: str, old: Movie | None,
                      old_shots: list[Shot], old_texts: list[TextSegment], stages: dict[str, str],
                      early: FaceWorker | None = None) -> list[ShotVision]:
        def run() -> list[ShotVision]:
            bar = self._bar(len(layer.shots), "understand", "shot")
            offer = (lambda i, v: early.offer(i, "person" in v.objects)) if early is not None else None
            try:
                return run_vision(self._keyframe_files(layer, staging), self.profile.vision, bar.update, offer)
            finally:
                bar.close()

        reusable = old is not None and old.layers.get("vision") == fp
        vision = self._layer("vision", fp, ck, stages, load=lambda saved: [ShotVision(**v) for v in saved],
                             reuse=lambda: _vision_from_store(old_shots, old_texts) if reusable else None,
                             run=run, dump=lambda vision: [asdict(v) for v in vision])
        assert vision is not None   # run_vision skips missing models inside; it always answers
        return vision

    def _clip_layer(self, layer: ShotLayer, staging: Path, ck: Checkpoint, fp: str, old: Movie | None,
                    old_shots: list[Shot], stages: dict[str, str]) -> np.ndarray | None:
        if fp == "off":
            run_clip([])   # says once that CLIP is off and how to turn it on
            stages["clip"] = "off"
            return None
        reusable = old is not None and old.layers.get("clip") == fp and all(s.visual is not None for s in old_shots)
        return self._layer("clip", fp, ck, stages, load=lambda saved: np.asarray(saved, np.float32),
                           reuse=lambda: np.stack([s.visual for s in old_shots]) if reusable else None,
                           run=lambda: run_clip(self._keyframe_files(layer, staging)),
                           dump=lambda visual: visual.tolist())

    def _face_frames(self, layer: ShotLayer, staging: Path) -> list[list[tuple[float, Path]]]:
        if layer.face_frames and len(layer.face_frames) == len(layer.shots):
            return [[(t, staging / "faces" / name) for t, name in fs] for fs in layer.face_frames]
        return [[(t, p) for t, p in kfs] for kfs in self._keyframe_files(layer, staging)]

    def _early_faces(self, layer: ShotLayer, staging: Path, ck: Checkpoint, fp: str, old: Movie | None
                     ) -> FaceWorker | None:
        """Start the faces stage beside the vision stage when it will have to run (fast profile:
        it only looks at shots where the vision stage saw a person)."""
        p = self.profile
        if fp == "off" or not p.faces_where_people or not _available("ssd-mobilenet-coco"):
            return None
        if ck.get("faces", fp) is not None or (old is not None and old.layers.get("faces") == fp):
            return None
        return FaceWorker(self._face_frames(layer, staging), self._cnn, p.face_upsample)

    def _faces_layer(self, spec: MovieSpec, layer: ShotLayer, vision: list[ShotVision], staging: Path,
                     ck: Checkpoint, fp: str, old: Movie | None, stages: dict[str, str],
                     early: FaceWorker | None = None) -> list[FaceTrack]:
        if fp == "off":
            face_analyzer(self._cnn)   # says once which model is missing and how to supply it
            stages["faces"] = "off"
            return []
        frames = self._face_frames(layer, staging)   # reused shots: their keyframes are the frames we have
        if self.profile.faces_where_people and _available("ssd-mobilenet-coco"):
            # Face detection is the costly part (70 ms a frame): in the fast profile a shot where the
            # vision layer's SSD saw nobody is skipped. On the 720p film: 4.3 s -> 0.4 s. (Scanning
            # every frame on a thread beside the decoder was tried: 1.9 cores busy, but 8.0 s.)
            frames = [fs if "person" in v.objects else [] for fs, v in zip(frames, vision, strict=True)]

        def run() -> list[FaceTrack] | None:
            if early is not None:   # it ran beside the vision stage
                return early.result()
            bar = self._bar(len(layer.shots), "faces", "shot")
            try:
                p = self.profile
                return run_faces(frames, cnn=self._cnn, upsample=p.face_upsample, progress=bar.update)
            finally:
                bar.close()

        reusable = old is not None and old.layers.get("faces") == fp
        tracks = self._layer(
            "faces", fp, ck, stages, load=lambda saved: [_track_from_dict(t) for t in saved],
            reuse=lambda: [dataclasses_replace(t, id=None, character=None, confidence=None)
                           for t in self.store.get_tracks(spec.id)] if reusable else None,
            run=run, dump=lambda tracks: [_track_to_dict(t) for t in tracks])
        return tracks or []

    def _characters(self, spec: MovieSpec) -> list[Character]:
        """The cast of movie.json, each with the largest face of its portrait."""
        out = []
        for i, member in enumerate(spec.cast):
            face = None
            if member.portrait is not None:
                face, n = portrait_face(member.portrait, self._cnn)
                where = f"{spec.id}: cast[{i}].portrait {member.portrait.name}"
                if n == 0 and face_analyzer(self._cnn) is not None:
                    notice_once(where, f"{where}: no face found; {member.character} is found by name only")
                elif n > 1:
                    notice_once(where, f"{where}: {n} faces; the largest is taken as {member.character}")
            out.append(Character(member.character, member.actor,
                                 member.portrait.name if member.portrait else None, face))
        return out

    def _speech_layer(self, spec: MovieSpec, info: MediaInfo, ck: Checkpoint, fp: str,
                      existing: Movie | None, old_texts: list[TextSegment], stages: dict[str, str]
                      ) -> list[TextSegment]:
        if fp in ("subtitled", "off"):
            stages["speech"] = "skipped (subtitles)" if fp == "subtitled" else "off"
            if fp == "off":   # says once which speech model is missing and how to supply it
                optional(self.profile.speech_model, lambda: resolve(self.profile.speech_model))
            return []
        if not info.has_audio:
            stages["speech"] = "skipped (no audio)"
            return []
        reusable = existing is not None and existing.layers.get("speech") == fp
        segments = self._layer(
            "speech", fp, ck, stages, load=lambda saved: [TextSegment(**t) for t in saved],
            reuse=lambda: [TextSegment(t.kind, t.source, t.start, t.end, t.text, extra=t.extra)
                           for t in old_texts if t.kind == "transcript"] if reusable else None,
            run=lambda: transcribe(spec.video, self.profile.speech_model, self.profile.speech_beam),
            dump=lambda segs: [{"kind": t.kind, "source": t.source, "start": t.start, "end": t.end, "text": t.text,
                                "extra": t.extra} for t in segs])
        return segments or []

    def _text_layer(self, spec: MovieSpec, layer: ShotLayer, vision: list[ShotVision], visual: np.ndarray | None,
                    transcript: list[TextSegment], cues: list[TextSegment], script: str | None,
                    old_texts: list[TextSegment], stages: dict[str, str]
                    ) -> tuple[list[Shot], list[Scene], list[TextSegment]]:
        stages["text"] = "ran"
        shots = layer.shots
        for i, (shot, v) in enumerate(zip(shots, vision, strict=True)):
            shot.appearance = np.asarray(v.appearance if v.appearance is not None else layer.colour[i], np.float32)
            shot.visual = None if visual is None else visual[i]
        texts: list[TextSegment] = [*cues, *transcript]
        words = optional("wordsegment", load_segmenter) if any(v.ocr for v in vision) else None
        for shot, v in zip(shots, vision, strict=True):
            if v.concepts:
                texts.append(TextSegment("concepts", "vision", shot.start, shot.end, v.concepts,
                                         extra={"labels": v.labels, "objects": v.objects}))
            for r in v.ocr:
                extra = {"time": r["time"], "box": r["box"], "score": r["score"]}
                shown = respace(r["text"], words.segment, words.known) if words is not None else r["text"]
                if shown != r["text"]:
                    extra["read"] = r["text"]      # as the recogniser read it (the vision layer's output)
                texts.append(TextSegment("ocr", "rapidocr", shot.start, shot.end, shown, extra=extra))
        texts = attach_timed(texts, shots)
        feats = np.stack([s.appearance for s in shots]) if shots else np.zeros((0, 1), np.float32)
        scene_ranges = group_scenes(feats, self.profile.scenes, joined=dialogue_gaps(texts))
        scenes = [Scene(j, shots[a].start, shots[b].end, a, b) for j, (a, b) in enumerate(scene_ranges)]
        embed = optional("minilm", load_text_embedder)
        units = [TextSegment("script", spec.script.name, None, None, u) for u in script_units(script or "")] \
            if spec.script else []
        units += [TextSegment("synopsis", "movie.json", None, None, u)
                  for u in synopsis_units(spec.meta.get("synopsis"))]
        units = align_untimed(units, scenes, scene_texts(texts, scenes, len(shots)), embed)
        plot = [TextSegment("plot", "movie.json", None, None, s) for s in split_sentences(spec.meta.get("plot") or "")]
        texts += units + plot
        known = {t.text: t.vector for t in old_texts if t.vector is not None and t.vector.shape == (384,)}
        embed_texts(texts, embed, known)
        return shots, scenes, texts

    # -- the decode pass -----------------------------------------------------------------------
    def _bar(self, total: int | None, what: str, unit: str):
        return tqdm(total=total, unit=unit, desc=f"{what} [{self.profile.name}]", file=sys.stderr,
                    disable=None if self.progress else True, leave=False, mininterval=0.5)

    def _analyse(self, spec: MovieSpec, info: MediaInfo, staging: Path) -> ShotPlan:
        p = self.profile
        thumb_every = max(1, round(info.fps / p.thumb_fps)) if info.fps > 0 else 3
        frame_plan = FramePlan(analysis_width=p.analysis_width, tiny=p.transnet, thumb_height=p.thumb_height,
                               thumb_every=thumb_every, face_height=p.face_height,
                               face_every=max(1, round(info.fps / (2 * p.face_fps))) if info.fps > 0 else 25)
        content = ContentShotDetector(info.fps, p.content_threshold)
        transnet = TransNetShotDetector(p.transnet_threshold) if p.transnet else None
        stats = FrameStats()
        spool = ThumbSpool(staging / "spool.jpgs")
        face_spool = ThumbSpool(staging / "faces.jpgs")
        expected = int(info.duration * info.fps) or None
        bar = tqdm(total=expected, unit="frame", desc=f"{spec.id} [{p.name}]", file=sys.stderr,
                   disable=None if self.progress else True, leave=False, mininterval=0.5)
        half = (expected or 0) // 2
        try:
            for frame in iter_frames(info, frame_plan):
                content.push(frame)
                stats.push(frame)
                if transnet is not None:
                    transnet.push(frame)
                if frame.thumb is not None:
                    spool.add(frame.index, frame.thumb)
                if frame.face is not None:
                    face_spool.add(frame.index, frame.face)
                bar.update(1)
                if frame.index == half:
                    _fault("decode")
            n = len(stats.times)
            ranges = shot_ranges(p, content.finish(), transnet.finish() if transnet else None, stats, info.fps)
            step = float(np.median(np.diff(stats.times))) if n > 1 else (1.0 / info.fps if info.fps else 0.04)
            end_time = stats.times[-1] + step
            keyframes, features = write_keyframes(ranges, stats.times, spool, staging / "thumbs")
            face_frames = write_face_frames(ranges, stats.times, face_spool, staging / "faces", p.face_fps)
        finally:
            bar.close()
            spool.close()
            face_spool.close()
            (staging / "spool.jpgs").unlink(missing_ok=True)
            (staging / "faces.jpgs").unlink(missing_ok=True)
        return ShotPlan(n_frames=n, times=stats.times, ranges=ranges, keyframes=keyframes,
                        features=[f.tolist() for f in features], end_time=end_time, face_frames=face_frames)


def shot_ranges(profile: Profile, content: DetectorOutput, transnet: DetectorOutput | None, stats: FrameStats,
                fps: float) -> list[tuple[int, int]]:
    """Detector evidence -> shots as frame ranges: fusion (full profile), fades through black,
    short-shot merging. Pure apart from the profile's parameters."""
    n = len(stats.times)
    fps = fps if fps > 0 else 25.0
    # Full profile: the learned detector leads and the pixel detector sharpens hard cuts.
    cuts = B.fuse_cuts(transnet.spans, content.cuts, transnet.scores, n) if transnet else content.cuts
    luma = np.asarray(stats.mean_luma, np.float32)
    dark = B.dark_frames(luma, np.asarray(stats.dark_fraction, np.float32))
    black = B.runs(dark)
    fades = B.fade_spans(luma, dark, max_ramp=round(2 * fps))
    cuts = B.collapse_black_gaps(cuts, black, fades, n)
    cuts = B.merge_close_cuts(cuts, max(2, round(profile.min_shot_seconds * fps)), n)
    return B.cuts_to_ranges(cuts, n)


def write_keyframes(ranges: list[tuple[int, int]], times: list[float], spool: ThumbSpool,
                    out_dir: Path) -> tuple[list[list[tuple[int, float, str]]], list[np.ndarray]]:
    """Pick 3 spooled thumbnails per shot, write them as the shot's keyframes, and return them with
    each shot's colour feature (computed from the bytes in hand, not re-read from disk)."""
    available = spool.indices()
    keyframes: list[list[tuple[int, float, str]]] = []
    features: list[np.ndarray] = []
    for i, (s, e) in enumerate(ranges):
        kfs, hists = [], []
        for k, target in enumerate(keyframe_targets(s, e)):
            idx = nearest_available(target, available, s, e)
            data = spool.read(idx)
            name = f"s{i:05d}_k{k}.jpg"
            (out_dir / name).write_bytes(data)
            with Image.open(io.BytesIO(data)) as im:
                hists.append(color_histogram(np.asarray(im.convert("RGB"))))
            kfs.append((idx, float(times[idx]), name))
        keyframes.append(kfs)
        features.append(shot_feature(hists))
    return keyframes, features


def write_face_frames(ranges: list[tuple[int, int]], times: list[float], spool: ThumbSpool, out_dir: Path,
                      per_second: float) -> list[list[tuple[float, str]]]:
    """Spooled face-size frames at about `per_second` inside each shot (at least one) for the faces
    stage; they live in the staging folder only, never in the library."""
    out_dir.mkdir(parents=True, exist_ok=True)
    available = spool.indices()
    out: list[list[tuple[float, str]]] = []
    for i, (s, e) in enumerate(ranges):
        seconds = max(0.0, float(times[e - 1]) - float(times[s])) if e > s else 0.0
        n = max(1, round(seconds * per_second))
        inside = [i for i in available[bisect.bisect_left(available, s):bisect.bisect_left(available, e)]]
        picked: list[int] = []
        for k in range(n if inside else 0):   # a shot too short to hold a sampled frame gets none
            idx = nearest_available(s + int((k + 0.5) * (e - s) / n), inside, s, e)
            if idx not in picked:
                picked.append(idx)
        frames = []
        for k, idx in enumerate(picked):
            name = f"s{i:05d}_f{k:03d}.jpg"
            (out_dir / name).write_bytes(spool.read(idx))
            frames.append((float(times[idx]), name))
        out.append(frames)
    return out


def _track_to_dict(t: FaceTrack) -> dict:
    return {"shot": t.shot, "start": t.start, "end": t.end, "kind": t.kind,
            "face": None if t.face is None else t.face.tolist(),
            "body": None if t.body is None else t.body.tolist(), "box": list(t.box), "quality": t.quality,
            "detections": t.detections}


def _track_from_dict(d: dict) -> FaceTrack:
    return FaceTrack(shot=d["shot"], start=d["start"], end=d["end"], kind=d.get("kind", "face"),
                     face=None if d["face"] is None else np.asarray(d["face"], np.float32),
                     body=None if d["body"] is None else np.asarray(d["body"], np.float32), box=tuple(d["box"]),
                     quality=d["quality"], detections=d["detections"])


def _shot_layer_from_plan(plan: ShotPlan) -> ShotLayer:
    times = plan.times
    shots = []
    for i, (s, e) in enumerate(plan.ranges):
        end = times[e] if e < plan.n_frames else plan.end_time
        shots.append(Shot(index=i, start=float(times[s]), end=float(end), start_frame=int(s), end_frame=int(e),
                          keyframes=[Keyframe(time=t, frame=f, path=name) for (f, t, name) in plan.keyframes[i]]))
    return ShotLayer(plan.n_frames, plan.end_time, shots, plan.features, plan.face_frames)


def _plan_from_layer(layer: ShotLayer) -> ShotPlan:
    """A checkpointable plan of reused shots (frame times known at shot starts only)."""
    n = layer.n_frames
    times = [0.0] * n
    for s in layer.shots:
        times[s.start_frame] = s.start
        for kf in s.keyframes:
            times[kf.frame] = kf.time
    return ShotPlan(n_frames=n, times=times, ranges=[(s.start_frame, s.end_frame) for s in layer.shots],
                    keyframes=[[(kf.frame, kf.time, kf.path) for kf in s.keyframes] for s in layer.shots],
                    features=layer.colour, end_time=layer.end_time, face_frames=layer.face_frames)


def _vision_from_store(shots: list[Shot], texts: list[TextSegment]) -> list[ShotVision]:
    out = [ShotVision(appearance=None if s.appearance is None else s.appearance.tolist()) for s in shots]
    for t in texts:
        if t.first_shot is None or not 0 <= t.first_shot < len(out):
            continue
        v = out[t.first_shot]
        if t.kind == "concepts":
            v.concepts = t.text
            v.labels = [tuple(x) for x in t.extra.get("labels", [])]
            v.objects = dict(t.extra.get("objects", {}))
        elif t.kind == "ocr":
            v.ocr.append({"text": t.extra.get("read", t.text), **{k: t.extra.get(k) for k in ("score", "time", "box")}})
    return out


def _read_script(spec: MovieSpec) -> str | None:
    if spec.script is None:
        return None
    from indexer.subtitles import decode_text

    try:
        data = spec.script.read_bytes()
    except OSError as exc:
        raise InputError(str(spec.script), f"cannot read the script: {exc.strerror or exc}") from exc
    if len(data) > 20 * 1024 * 1024:
        raise InputError(str(spec.script), "the script is over 20 MB; is it really a script?")
    return decode_text(data, str(spec.script))
