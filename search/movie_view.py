"""A window of one movie as the focus step reads it: its shots, the texts placed on them with their
vectors as matrices, and which shots each text covers. Only the window around the retrieved
evidence is read (a 2,000-shot movie costs the same as a short one), and recent windows are kept
while the library does not change."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from cinesearch.search.concept_bank import bank_matrix
from cinesearch.search.store import Movie, Shot, StoreReader, TextSegment

# Timed kinds pin a sentence to seconds; the others only to shots or scenes.
TIMED_KINDS = frozenset({"subtitle", "description", "transcript"})
# How much a match on each kind of text counts when scoring a shot. Script and synopsis units are
# further scaled by their alignment confidence; the plot is about the whole movie, not a shot.
KIND_WEIGHT = {"subtitle": 1.0, "description": 1.0, "transcript": 1.0, "ocr": 0.9, "concepts": 0.8,
               "script": 0.9, "synopsis": 0.8, "plot": 0.0}


@dataclass
class MovieView:
    movie: Movie
    offset: int                   # movie index of shots[0]; shot positions in a view are local
    shots: list[Shot]
    texts: list[TextSegment]
    text_vecs: np.ndarray         # (n_texts, 384), zero rows for texts without a vector
    text_weight: np.ndarray       # (n_texts,) KIND_WEIGHT x confidence
    pair_text: np.ndarray         # (text, local shot) pairs: text pair_text[k] lies on shot pair_shot[k]
    pair_shot: np.ndarray
    visual: np.ndarray | None     # (n_shots, d) CLIP, when every shot has one
    banks: dict[int, list] = field(default_factory=dict)   # local shot -> its concept bank [(class, p), ...]
    _bank: np.ndarray | None = field(default=None, repr=False)

    def bank(self, n_classes: int) -> np.ndarray | None:
        """(n_shots, n_classes) label probabilities (search.concept_bank); None when no shot has
        a bank (a library indexed before the bank, or without the classifier). Built once."""
        if not self.banks:
            return None
        if self._bank is None or self._bank.shape[1] != n_classes:
            rows: list[list] = [self.banks.get(i, []) for i in range(len(self.shots))]
            self._bank = bank_matrix(rows, n_classes)
        return self._bank

    def shot_max(self, per_text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per shot: the best weighted score of the texts on it, and which text gave it (-1: none).
        Sparse over (text, shot) pairs: most texts lie on one shot."""
        n = len(self.shots)
        value, best = np.zeros(n), np.full(n, -1)
        if not len(self.pair_text):
            return value, best
        scores = (per_text * self.text_weight)[self.pair_text]
        order = np.lexsort((scores, self.pair_shot))          # by shot, best score last
        last = np.r_[self.pair_shot[order][1:] != self.pair_shot[order][:-1], True]
        winners = order[last]
        value[self.pair_shot[winners]] = scores[winners]
        best[self.pair_shot[winners]] = self.pair_text[winners]
        return value, best


def build_view(store: StoreReader, movie: Movie, first: int = 0, last: int | None = None) -> MovieView:
    shots = store.get_shots(movie.id, first, last, appearance=False)
    offset = shots[0].index if shots else first
    texts = store.get_texts(movie.id, vectors=True, first_shot=offset, last_shot=offset + len(shots) - 1) \
        if shots else []
    return view_of(movie, offset, shots, texts)


def view_of(movie: Movie, offset: int, shots: list[Shot], texts: list[TextSegment]) -> MovieView:
    """The matrices of a window from its shots and the texts placed on them."""
    n = len(shots)
    dim = next((t.vector.shape[0] for t in texts if t.vector is not None), 384)
    vecs = np.zeros((len(texts), dim), np.float32)
    weight = np.zeros(len(texts), np.float32)
    pairs: list[tuple[int, int]] = []
    banks: dict[int, list] = {}
    for i, t in enumerate(texts):
        if t.kind == "concepts" and t.first_shot is not None and t.extra.get("bank"):
            banks[t.first_shot - offset] = t.extra["bank"]
        if t.vector is not None and t.vector.shape[0] == dim:
            vecs[i] = t.vector
        weight[i] = KIND_WEIGHT.get(t.kind, 0.5) * (t.confidence if t.confidence is not None else 1.0)
        if t.first_shot is not None and t.last_shot is not None and n:
            pairs += [(i, j) for j in range(max(0, t.first_shot - offset), min(n - 1, t.last_shot - offset) + 1)]
    pair = np.asarray(pairs, np.int64).reshape(-1, 2)
    visuals = [s.visual for s in shots if s.visual is not None]
    visual = np.stack(visuals) if shots and len(visuals) == len(shots) else None
    return MovieView(movie, offset, shots, texts, vecs, weight, pair[:, 0], pair[:, 1], visual, banks)


class ViewCache:
    """Most recently used views, dropped whenever the library's generation moves."""

    def __init__(self, store: StoreReader, size: int = 64):
        self.store, self.size = store, size
        self._views: OrderedDict[tuple[str, int, int | None], MovieView] = OrderedDict()
        self._generation: int | None = None
        self._lock = threading.Lock()   # request threads share the cache; views are built outside it

    def _current(self, gen: int) -> None:
        if gen != self._generation:
            self._views.clear()
            self._generation = gen

    def _keep(self, key: tuple[str, int, int | None], view: MovieView) -> None:
        self._views[key] = view
        while len(self._views) > self.size:
            self._views.popitem(last=False)

    def get(self, movie: Movie, first: int = 0, last: int | None = None) -> MovieView:
        gen = self.store.generation()
        key = (movie.id, first, last)
        with self._lock:
            self._current(gen)
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
                return view
        view = build_view(self.store, movie, first, last)
        with self._lock:
            if self._generation == gen:
                self._keep(key, view)
        return view

    def prefetch(self, windows: list[tuple[Movie, int, int]]) -> None:
        """Build the views of several windows that are not cached yet with one store call (one
        round trip on Elasticsearch) instead of one call per window."""
        gen = self.store.generation()
        with self._lock:
            self._current(gen)
            todo = [(m, first, last) for m, first, last in windows if (m.id, first, last) not in self._views]
        if len(todo) < 2:
            return
        read = self.store.read_windows([(m.id, first, last) for m, first, last in todo])
        with self._lock:
            if self._generation != gen:
                return
            for (movie, first, last), (shots, texts) in zip(todo, read, strict=True):
                self._keep((movie.id, first, last), view_of(movie, shots[0].index if shots else first, shots, texts))
