"""One movie as the focus step reads it: shots, texts and their vectors as matrices, and which
shots each text covers. Built once per movie and kept while the library does not change."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from search.store import Movie, Scene, Shot, Store, TextSegment

# Timed kinds pin a sentence to seconds; the others only to shots or scenes.
TIMED_KINDS = frozenset({"subtitle", "description", "transcript"})
# How much a match on each kind of text counts when scoring a shot. Script and synopsis units are
# further scaled by their alignment confidence; the plot is about the whole movie, not a shot.
KIND_WEIGHT = {"subtitle": 1.0, "description": 1.0, "transcript": 1.0, "ocr": 0.9, "concepts": 0.8,
               "script": 0.9, "synopsis": 0.8, "plot": 0.0}


@dataclass
class MovieView:
    movie: Movie
    shots: list[Shot]
    scenes: list[Scene]
    texts: list[TextSegment]
    text_vecs: np.ndarray         # (n_texts, 384), zero rows for texts without a vector
    text_weight: np.ndarray       # (n_texts,) KIND_WEIGHT x confidence
    cover: np.ndarray             # (n_texts, n_shots) bool: text i lies on shot j
    visual: np.ndarray | None     # (n_shots, d) CLIP, when every shot has one
    appearance: np.ndarray | None

    @property
    def starts(self) -> np.ndarray:
        return np.array([s.start for s in self.shots])

    def shot_max(self, per_text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per shot: the best weighted score of the texts on it, and which text gave it (-1: none)."""
        n = len(self.shots)
        if not len(self.texts) or n == 0:
            return np.zeros(n), np.full(n, -1)
        scores = np.where(self.cover, (per_text * self.text_weight)[:, None], -np.inf)
        best = scores.argmax(axis=0)
        value = scores[best, np.arange(n)]
        has = np.isfinite(value)
        return np.where(has, value, 0.0), np.where(has, best, -1)


def build_view(store: Store, movie: Movie) -> MovieView:
    shots = store.get_shots(movie.id)
    texts = store.get_texts(movie.id, vectors=True)
    n = len(shots)
    dim = next((t.vector.shape[0] for t in texts if t.vector is not None), 384)
    vecs = np.zeros((len(texts), dim), np.float32)
    weight = np.zeros(len(texts), np.float32)
    cover = np.zeros((len(texts), n), bool)
    for i, t in enumerate(texts):
        if t.vector is not None and t.vector.shape[0] == dim:
            vecs[i] = t.vector
        weight[i] = KIND_WEIGHT.get(t.kind, 0.5) * (t.confidence if t.confidence is not None else 1.0)
        if t.first_shot is not None and t.last_shot is not None and n:
            cover[i, max(0, t.first_shot):min(n - 1, t.last_shot) + 1] = True
    visual = np.stack([s.visual for s in shots]) if shots and all(s.visual is not None for s in shots) else None
    appearance = np.stack([s.appearance for s in shots]) \
        if shots and all(s.appearance is not None for s in shots) else None
    return MovieView(movie, shots, store.get_scenes(movie.id), texts, vecs, weight, cover, visual, appearance)


class ViewCache:
    """Most recently used movie views, dropped whenever the library's generation moves."""

    def __init__(self, store: Store, size: int = 64):
        self.store, self.size = store, size
        self._views: OrderedDict[str, MovieView] = OrderedDict()
        self._generation: int | None = None

    def get(self, movie: Movie) -> MovieView:
        gen = self.store.generation()
        if gen != self._generation:
            self._views.clear()
            self._generation = gen
        view = self._views.get(movie.id)
        if view is None:
            view = self._views[movie.id] = build_view(self.store, movie)
            while len(self._views) > self.size:
                self._views.popitem(last=False)
        self._views.move_to_end(movie.id)
        return view
