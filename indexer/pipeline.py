"""Index one movie: an orchestrator over the layers of a registry (indexer.layers), each
recomputed only when its inputs change, then one atomic write to the store.

    shots   probe -> one decode pass feeding the shot detectors -> boundaries -> keyframes
    vision  keyframes -> EfficientNet-Lite3 labels + appearance, SSD objects, OCR (no decoding)
    clip    keyframes -> CLIP shot embeddings (when a CLIP model is configured)
    faces   face tracks and bodies (beside vision in the fast profile)
    speech  audio -> transcript (only when the movie has no subtitles; on its own thread)
    text    subtitles, descriptions, transcript, OCR, concepts, script, synopsis, plot
            -> placed on shots/scenes, aligned, embedded; scenes grouped

Each layer's fingerprint covers its inputs. A layer whose fingerprint matches the stored movie is
taken from the store (adding a subtitle file re-runs only the text layer); a layer finished in an
interrupted run is taken from the staging checkpoint (resumable); an unchanged movie is skipped.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cinesearch.indexer.checkpoint import Checkpoint
from cinesearch.indexer.errors import InputError
from cinesearch.indexer.faces import face_analyzer, portrait_face
from cinesearch.indexer.fingerprint import PIPELINE_VERSION, file_hash
from cinesearch.indexer.languages import DEFAULT_PREFERENCE
from cinesearch.indexer.layers import DEFAULT, BundleParts, Layer, MovieRun, Registry, execute
from cinesearch.indexer.layers.base import digest
from cinesearch.indexer.media import MediaInfo, probe
from cinesearch.indexer.movie_spec import MovieSpec
from cinesearch.indexer.profiles import PROFILES, Profile
from cinesearch.indexer.subtitle_sources import movie_cues
from cinesearch.models.device import configure_cpu_threads
from cinesearch.models.faces import cnn_usable
from cinesearch.models.registry import notice_once
from cinesearch.search.store import Character, Movie, MovieBundle, Store

__all__ = ["PROFILES", "Built", "Indexer", "Outcome", "Profile"]


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
    skipped: list[str] = field(default_factory=list)        # side files and streams not used, one line each

    def as_dict(self) -> dict:
        return {"id": self.movie_id, "status": self.status, "shots": self.shots, "scenes": self.scenes,
                "duration": round(self.duration, 3), "seconds": round(self.seconds, 3), "source": self.source,
                "stages": self.stages, "skipped": self.skipped}

    def summary(self) -> str:
        """One line for people: what happened, how fast, and each layer's stage."""
        speed = self.duration / self.seconds if self.seconds else 0
        extra = "" if self.status == "unchanged" else \
            f" ({self.duration:.1f} s of video in {self.seconds:.1f} s, {speed:.1f}x real time)"
        stages = ", ".join(f"{k} {v}" for k, v in self.stages.items())
        line = f"{self.status} {self.movie_id}: {self.shots} shots, {self.scenes} scenes{extra}" + \
            (f" [{stages}]" if stages else "")
        return "\n".join([line, *(f"  skipped: {s}" for s in self.skipped)])


@dataclass
class Built:
    """A movie built but not yet written: its bundle (None when the stored one is current), the
    staging folder holding its keyframes, and the outcome so far. Picklable, so a worker process
    can hand it to the writer."""
    bundle: MovieBundle | None
    staging: Path
    outcome: Outcome


def portrait_file(index: int, suffix: str) -> str:
    """The name of cast member `index`'s portrait in the movie's thumbnail folder."""
    ext = suffix.lower() if suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp") else ".img"
    return f"portrait-{index:03d}{ext}"


class Indexer:
    def __init__(self, store: Store, profile: str | Profile = "fast", progress: bool = True,
                 layers: Registry | None = None, languages: tuple[str, ...] = DEFAULT_PREFERENCE):
        self.store = store
        self.languages = languages
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.progress = progress
        self.layers = layers or DEFAULT
        self._cnn = self.profile.face_cnn and cnn_usable()
        configure_cpu_threads()

    # -- fingerprints --------------------------------------------------------------------------
    def fingerprints(self, run: MovieRun) -> dict[str, str]:
        """One fingerprint per layer, in order (a layer's inputs may name earlier fingerprints)."""
        for layer in self.layers:
            run.fingerprints[layer.name] = layer.fingerprint(run)
        return run.fingerprints

    def movie_fingerprint(self, fps: dict[str, str]) -> str:
        """Every layer's fingerprint: a layer whose output a later layer only attaches, without
        computing from it (CLIP vectors on the text layer's shots), changes the movie without
        changing that later layer, so a new CLIP model adds only the CLIP layer."""
        return digest("movie", *(fps[layer.name] for layer in self.layers.ordered()))

    # -- public --------------------------------------------------------------------------------
    def index(self, spec: MovieSpec, info: MediaInfo | None = None) -> Outcome:
        """Index one movie. `info` is the probe the caller already made, if any (probing opens the
        file and decodes a frame, so it is not repeated)."""
        return self.commit(self.build(spec, info))

    def build(self, spec: MovieSpec, info: MediaInfo | None = None) -> Built:
        """Everything but the write: run the layers into the movie's staging folder and return the
        bundle. Reads the store only, so worker processes build while one process writes
        (`cinesearch index --jobs N`)."""
        t0 = time.perf_counter()
        stat = spec.video.stat()
        source = str(spec.video)
        video_hash = self.store.cached_hash(source, stat.st_size, stat.st_mtime_ns) or file_hash(spec.video)
        existing = self.store.get_movie(spec.id)
        info = info or probe(spec.video)
        # Unreadable side files fail here, before any work and before the library is touched.
        cues, skipped = movie_cues(spec, info, self.languages)
        staging = self.store.staging_dir(spec.id)
        run = MovieRun(spec=spec, info=info, profile=self.profile, store=self.store, languages=self.languages,
                       staging=staging, checkpoint=Checkpoint(staging),
                       video_hash=video_hash, existing=existing, cues=cues, script=_read_script(spec), cnn=self._cnn,
                       progress=self.progress, foreign_kinds=self.layers.text_kinds(but="text"))
        fps = self.fingerprints(run)
        fingerprint = self.movie_fingerprint(fps)
        if existing is not None:
            if existing.fingerprint == fingerprint:
                return Built(None, staging, Outcome(spec.id, "unchanged", existing.n_shots, existing.n_scenes,
                                                    existing.duration, time.perf_counter() - t0, existing.source,
                                                    skipped=skipped))
            if existing.source != source and existing.content_hash != video_hash:
                raise InputError(source, f"movie id {spec.id!r} is already used by {existing.source}; give this "
                                         f"movie its own \"id\" in movie.json, or 'cinesearch remove {spec.id}' first")
        first = self.layers.ordered()[0].name
        if run.checkpoint.get(first, fps[first]) is None or not (staging / "thumbs").is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            (staging / "thumbs").mkdir(parents=True)
        run.checkpoint = Checkpoint(staging)

        timings: dict[str, float] = {}
        try:
            self._run_layers(run, timings)
            t = time.perf_counter()
            characters = self._characters(spec, staging / "thumbs")
            copy_artwork(spec, staging / "thumbs")
            timings["cast"] = time.perf_counter() - t
        except InputError:
            # the movie itself is bad (a truncated video found only while decoding, a portrait that is
            # not an image): there is nothing to resume, so nothing of it is kept (a crash, by
            # contrast, keeps the staging to resume)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        parts = BundleParts(characters=characters)
        for layer in self.layers:
            layer.contribute(run.outputs.get(layer.name), parts, run)
        shots_out = run.outputs[first]
        movie = Movie(
            id=spec.id, source=source, content_hash=video_hash, fingerprint=fingerprint, profile=self.profile.name,
            duration=shots_out.end_time, n_frames=shots_out.n_frames,
            media=run.info.as_dict() | {"pipeline": PIPELINE_VERSION},
            meta=spec.meta | {k: artwork_file(k, p.suffix) for k, p in spec.artwork.items()},
            title=spec.title or spec.meta.get("title") or spec.video.stem,
            year=spec.year, layers=dict(fps))
        bundle = MovieBundle(movie=movie, shots=parts.shots, scenes=parts.scenes,
                             source_size=stat.st_size, source_mtime_ns=stat.st_mtime_ns,
                             texts=parts.texts, tracks=parts.tracks, characters=parts.characters)
        stages = run.stages
        status = "updated" if existing is not None and run.stored(first) else \
            "resumed" if "resumed" in stages.values() else "indexed"
        order = [*self.layers.names(), "cast"]   # a concurrent layer may finish first: report in order
        return Built(bundle, staging, Outcome(spec.id, status, len(parts.shots), len(parts.scenes),
                                              shots_out.end_time, time.perf_counter() - t0, source,
                                              {k: stages[k] for k in order if k in stages},
                                              {k: timings[k] for k in order if k in timings}, skipped))

    def commit(self, built: Built) -> Outcome:
        """The one atomic write of a built movie (in the process that holds the writer lock)."""
        outcome = built.outcome
        if built.bundle is None:
            return outcome
        t = time.perf_counter()
        self.store.put_movie(built.bundle, built.staging / "thumbs")
        outcome.timings["write"] = time.perf_counter() - t
        shutil.rmtree(built.staging, ignore_errors=True)
        outcome.seconds += outcome.timings["write"]
        return outcome

    def _run_layers(self, run: MovieRun, timings: dict[str, float]) -> None:
        """Concurrent layers start at once on their own threads; the others run in order, each
        after the concurrent layers it reads. Leaving the pool waits for every thread, also when a
        layer fails, so an error never returns while a layer still runs."""
        def timed(layer: Layer) -> Any:
            t = time.perf_counter()
            try:
                return execute(layer, run)
            finally:
                timings[layer.name] = time.perf_counter() - t

        ordered = self.layers.ordered()
        background = [layer for layer in ordered if layer.concurrent]
        with ThreadPoolExecutor(max_workers=max(1, len(background)) + 1, thread_name_prefix="layer") as pool:
            pending: dict[str, Future[Any]] = {layer.name: pool.submit(timed, layer) for layer in background}
            warming: Future[None] | None = None
            try:
                for layer in ordered:
                    if layer.concurrent:
                        continue
                    for dep in layer.after:
                        if dep in pending:
                            run.outputs[dep] = pending.pop(dep).result()
                    run.outputs[layer.name] = timed(layer)
                    if warming is None:
                        # after the decode pass (importing models beside it slowed it by as much
                        # as it saved): the vision layer's native code leaves the GIL free
                        warming = pool.submit(self._warm, run, [x for x in ordered[1:] if not x.concurrent])
                    for later in ordered:
                        if later.prepare_after == layer.name:
                            later.prepare(run)
            finally:
                for layer in ordered:
                    layer.close(run)
            for name, future in pending.items():
                run.outputs[name] = future.result()
            if warming is not None:
                warming.result()

    @staticmethod
    def _warm(run: MovieRun, layers: list[Layer]) -> None:
        """Load the later layers' models while the first layer decodes. A model that fails to load
        is not this thread's business: the layer that needs it reports that when it runs."""
        for layer in layers:
            try:
                if layer.will_run(run):
                    layer.warm(run)
            except Exception:   # noqa: BLE001 - reported again, properly, by the layer itself
                continue

    def _characters(self, spec: MovieSpec, thumbs: Path) -> list[Character]:
        """The cast of movie.json, each with the largest face of its portrait. Each portrait is
        copied beside the keyframes (`portrait_file`), so the web page serves the file that was
        indexed, never a path worked out again at request time."""
        out = []
        for i, member in enumerate(spec.cast):
            face = None
            if member.portrait is not None:
                try:
                    shutil.copyfile(member.portrait, thumbs / portrait_file(i, member.portrait.suffix))
                except OSError as exc:
                    raise InputError(str(member.portrait), f"cannot read the portrait: {exc.strerror or exc}") from exc
                face, n = portrait_face(member.portrait, self._cnn)
                where = f"{spec.id}: cast[{i}].portrait {member.portrait.name}"
                if n == 0 and face_analyzer(self._cnn) is not None:
                    notice_once(where, f"{where}: no face found; {member.character} is found by name only")
                elif n > 1:
                    notice_once(where, f"{where}: {n} faces; the largest is taken as {member.character}")
            out.append(Character(member.character, member.actor,
                                 member.portrait.name if member.portrait else None, face))
        return out


def copy_artwork(spec: MovieSpec, thumbs: Path) -> None:
    """The poster and fanart beside the keyframes (`poster.jpg`, ...), so the web page serves the
    files that were indexed."""
    for kind, path in spec.artwork.items():
        try:
            shutil.copyfile(path, thumbs / artwork_file(kind, path.suffix))
        except OSError as exc:
            raise InputError(str(path), f"cannot read the {kind}: {exc.strerror or exc}") from exc


def artwork_file(kind: str, suffix: str) -> str:
    ext = suffix.lower() if suffix.lower() in (".jpg", ".jpeg", ".png", ".webp") else ".img"
    return f"{kind}{ext}"


def _read_script(spec: MovieSpec) -> str | None:
    if spec.script is None:
        return None
    from cinesearch.indexer.subtitles import decode_text

    try:
        data = spec.script.read_bytes()
    except OSError as exc:
        raise InputError(str(spec.script), f"cannot read the script: {exc.strerror or exc}") from exc
    if len(data) > 20 * 1024 * 1024:
        raise InputError(str(spec.script), "the script is over 20 MB; is it really a script?")
    return decode_text(data, str(spec.script))
