"""What an indexing layer is. A layer turns its inputs (the movie, the outputs of the layers it
comes after) into one output, and is recomputed only when its fingerprint changes:

- `inputs(run)`: everything its output depends on; the fingerprint is a hash of the layer's name,
  version and these. A layer that cannot run here (its model is missing, the movie has
  subtitles) returns a word instead from `off(run)`, which becomes its fingerprint and stage.
- `load(saved, run)`: its output from an interrupted run's checkpoint (None: not usable).
- `reuse(run)`: its output from the stored movie when the stored fingerprint matches.
- `run(run)`: compute it (None: its model is off).
- `dump(value)`: the JSON its checkpoint holds.
- `contribute(value, parts, run)`: put its output into the movie's bundle.

The pipeline only orchestrates: it orders layers by the registry, computes fingerprints, checks
the checkpoint, the store and the fingerprint in that order, and times each layer.
"""

from __future__ import annotations

import hashlib
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cinesearch.indexer.checkpoint import Checkpoint
from cinesearch.indexer.languages import DEFAULT_PREFERENCE
from cinesearch.indexer.media import MediaInfo
from cinesearch.indexer.movie_spec import MovieSpec
from cinesearch.indexer.profiles import Profile
from cinesearch.models.registry import ModelUnavailable, resolve
from cinesearch.search.store import Character, FaceTrack, Movie, Scene, Shot, StoreReader, TextSegment


def digest(*parts: object) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def available(name: str) -> bool:
    """Whether a model's weights can be had (cheap: nothing is loaded)."""
    try:
        resolve(name)
        return True
    except ModelUnavailable:
        return False


@dataclass
class MovieRun:
    """Everything the layers of one movie's indexing may read, and what they have produced."""
    spec: MovieSpec
    info: MediaInfo
    profile: Profile
    store: StoreReader
    staging: Path
    checkpoint: Checkpoint
    video_hash: str
    existing: Movie | None                  # the stored movie, if any
    cues: list[TextSegment]                 # subtitle and description cues (parsed up front: bad files fail early)
    script: str | None
    cnn: bool                               # dlib's CNN face detector
    progress: bool = True
    languages: tuple[str, ...] = DEFAULT_PREFERENCE          # the user's preferred languages (--languages)
    foreign_kinds: frozenset[str] = frozenset()   # text kinds other layers than the text layer contribute
    fingerprints: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)     # layer name -> its output
    stages: dict[str, str] = field(default_factory=dict)      # layer name -> ran | reused | resumed | off | ...
    _old_shots: list[Shot] | None = None
    _old_texts: list[TextSegment] | None = None

    def stored(self, layer: str) -> bool:
        """Whether the stored movie holds this layer's output for the current fingerprint."""
        return self.existing is not None and self.existing.layers.get(layer) == self.fingerprints.get(layer)

    @property
    def old_shots(self) -> list[Shot]:
        """The stored shots, when the stored movie was cut into the same shots."""
        if self._old_shots is None:
            self._old_shots = self.store.get_shots(self.spec.id) if self.stored("shots") else []
        return self._old_shots

    @property
    def old_texts(self) -> list[TextSegment]:
        if self._old_texts is None:
            self._old_texts = self.store.get_texts(self.spec.id, vectors=True) if self.existing is not None else []
        return self._old_texts

    def bar(self, total: int | None, what: str, unit: str) -> Any:
        return tqdm(total=total, unit=unit, desc=f"{what} [{self.profile.name}]", file=sys.stderr,
                    disable=None if self.progress else True, leave=False, mininterval=0.5)


@dataclass
class BundleParts:
    """What the layers contribute to the movie's one atomic write."""
    shots: list[Shot] = field(default_factory=list)
    scenes: list[Scene] = field(default_factory=list)
    texts: list[TextSegment] = field(default_factory=list)
    tracks: list[FaceTrack] = field(default_factory=list)
    characters: list[Character] = field(default_factory=list)


class Layer(ABC):
    name: str = ""
    version: str = "1"
    after: tuple[str, ...] = ()        # layers whose outputs this one reads (they run first)
    concurrent: bool = False           # runs on its own thread beside the others (it needs only the movie)
    prepare_after: str | None = None   # `prepare(run)` is called once that layer has finished
    text_kinds: tuple[str, ...] = ()   # kinds of the texts it contributes (the text layer leaves them alone)
    checkpointed: bool = True          # False for a layer cheaper to redo than to save (the text layer)

    @abstractmethod
    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        """Everything the output depends on, for the fingerprint."""

    def off(self, run: MovieRun) -> str | None:
        """A word (its fingerprint and stage) when the layer cannot or need not run; None: it runs."""
        return None

    def skip(self, run: MovieRun) -> str | None:
        """A stage word when the layer is on but this movie gives it nothing to do (no audio): its
        fingerprint stands, nothing is computed or checkpointed, and its output is `when_off`'s."""
        return None

    def fingerprint(self, run: MovieRun) -> str:
        return self.off(run) or digest(self.name, self.version, *self.inputs(run))

    @abstractmethod
    def run(self, run: MovieRun) -> Any:
        """Compute the output (None: its model is off)."""

    def reuse(self, run: MovieRun) -> Any:
        """The output from the stored movie, or None."""
        return None

    def load(self, saved: Any, run: MovieRun) -> Any:
        return saved

    def dump(self, value: Any) -> Any:
        return value

    def when_off(self, run: MovieRun) -> Any:
        """The output when `off` said so (and the place to say once which model is missing)."""
        return None

    def prepare(self, run: MovieRun) -> None:
        """Start early work (see prepare_after)."""
        return None

    def warm(self, run: MovieRun) -> None:
        """Load the models `run` will need. Called on a background thread while the decode pass
        runs (it leaves part of a core idle), for a layer that has work to do; loading is
        once per process, so this only moves the wait earlier."""
        return None

    def will_run(self, run: MovieRun) -> bool:
        """Whether this movie's run will compute the layer (not off, not stored, not resumed)."""
        fp = run.fingerprints[self.name]
        if self.off(run) is not None or run.stored(self.name):
            return False
        return not self.checkpointed or run.checkpoint.get(self.name, fp) is None

    def close(self, run: MovieRun) -> None:
        """Release what prepare started, also after a failure."""
        return None

    def stage(self, run: MovieRun) -> str | None:
        """A stage word that replaces the default one (ran/reused/resumed/off), if any."""
        return None

    def contribute(self, value: Any, parts: BundleParts, run: MovieRun) -> None:
        """Put the output into the movie's bundle (default: nothing; later layers read it)."""
        return None


def execute(layer: Layer, run: MovieRun) -> Any:
    """The life of every layer: off, else taken from the interrupted run's checkpoint when it is
    there and usable, else from the stored movie when its fingerprint matches, else computed.
    Whatever is kept is checkpointed, so a crash later in this run does not redo it."""
    fp = run.fingerprints[layer.name]
    if layer.off(run) is not None:
        run.stages[layer.name] = layer.stage(run) or fp
        return layer.when_off(run)
    if (why := layer.skip(run)) is not None:
        run.stages[layer.name] = why
        return layer.when_off(run)
    saved = run.checkpoint.get(layer.name, fp) if layer.checkpointed else None
    value = layer.load(saved, run) if saved is not None else None
    if value is not None:
        run.stages[layer.name] = "resumed"
        return value
    value = layer.reuse(run) if run.stored(layer.name) else None
    run.stages[layer.name] = "reused"
    if value is None:
        value = layer.run(run)
        run.stages[layer.name] = "ran" if value is not None else "off"
    if value is not None and layer.checkpointed:
        run.checkpoint.put(layer.name, fp, layer.dump(value))
    run.stages[layer.name] = layer.stage(run) or run.stages[layer.name]
    return value


Factory = Callable[[], Layer]
