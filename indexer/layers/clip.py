"""The CLIP layer: keyframes -> CLIP shot embeddings, when a CLIP model is configured (none ships
offline). Output: an (n_shots, dim) array."""

from __future__ import annotations

from typing import Any

import numpy as np

from cinesearch import models
from cinesearch.indexer.layers.base import Layer, MovieRun
from cinesearch.indexer.understand import run_clip
from cinesearch.models.clip import clip_identity


class ClipLayer(Layer):
    name = "clip"
    version = "1"
    after = ("shots",)

    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        return (run.fingerprints["shots"], clip_identity())

    def off(self, run: MovieRun) -> str | None:
        return "off" if clip_identity() is None else None

    def when_off(self, run: MovieRun) -> None:
        models.clip_encoder()   # says once that CLIP is off and how to turn it on
        return None

    def run(self, run: MovieRun) -> np.ndarray | None:
        return run_clip(run.outputs["shots"].keyframe_files(run.staging))

    def reuse(self, run: MovieRun) -> np.ndarray | None:
        shots = run.old_shots
        if not shots or any(s.visual is None for s in shots):
            return None
        return np.stack([s.visual for s in shots])

    def load(self, saved: Any, run: MovieRun) -> np.ndarray:
        return np.asarray(saved, np.float32)

    def dump(self, value: np.ndarray) -> Any:
        return value.tolist()
