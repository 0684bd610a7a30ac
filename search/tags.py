"""Tag search: shot-level responses learned from movie tags (MIL), zero-shot scoring for tags
outside the vocabulary, and movie tags as a boost.

The learned responses are cached per library generation in `LIBRARY/tags/`, so the model retrains
(a few seconds for hundreds of shots) only after the library changed, on the first tag query.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cinesearch.search.encoders import Encoders, default_encoders
from cinesearch.search.mil import MilModel, train_mil
from cinesearch.search.store import Movie, StoreReader

MOVIE_TAG_BOOST = 0.15   # a shot of a movie that carries the tag itself
APPEARANCE_DIM = 1280
TEXT_DIM = 384


def movie_tags(movie: Movie) -> set[str]:
    """Genres and keywords from movie.json, lower case: the weak labels."""
    out: set[str] = set()
    for key in ("genres", "keywords", "tags"):
        values = movie.meta.get(key) or []
        if isinstance(values, str):
            values = [values]
        out |= {str(v).strip().lower() for v in values if str(v).strip()}
    return out


@dataclass
class ShotTable:
    """Every shot of the library as one feature row: appearance, concepts text vector, mean of the
    other texts on the shot, and CLIP when every shot has it."""
    movie_ids: list[str]
    shot_idx: np.ndarray
    features: np.ndarray
    concepts: np.ndarray          # (n, 384) for zero-shot
    texts: np.ndarray             # (n, 384)
    clip: np.ndarray | None
    labels: dict[str, list[str]] = field(default_factory=dict)   # shot row -> concept labels (for why)


def build_table(store: StoreReader) -> ShotTable:
    movie_ids: list[str] = []
    idx: list[int] = []
    app, conc, text, clip = [], [], [], []
    for movie in store.list_movies():
        shots = store.get_shots(movie.id)
        texts = store.get_texts(movie.id, vectors=True)
        c = np.zeros((len(shots), TEXT_DIM), np.float32)
        t = np.zeros((len(shots), TEXT_DIM), np.float32)
        n_t = np.zeros(len(shots))
        for seg in texts:
            if seg.vector is None or seg.first_shot is None or seg.vector.shape[0] != TEXT_DIM:
                continue
            lo, hi = max(0, seg.first_shot), min(len(shots) - 1, seg.last_shot if seg.last_shot is not None else -1)
            if seg.kind == "concepts":
                c[lo:hi + 1] = seg.vector
            elif seg.kind != "plot":
                t[lo:hi + 1] += seg.vector
                n_t[lo:hi + 1] += 1
        t /= np.maximum(n_t, 1)[:, None]
        for s in shots:
            movie_ids.append(movie.id)
            idx.append(s.index)
            app.append(s.appearance if s.appearance is not None and s.appearance.shape[0] == APPEARANCE_DIM
                       else np.zeros(APPEARANCE_DIM, np.float32))
            clip.append(s.visual)
        conc.append(c)
        text.append(t)
    n = len(movie_ids)
    concepts = np.concatenate(conc) if conc else np.zeros((0, TEXT_DIM), np.float32)
    texts_m = np.concatenate(text) if text else np.zeros((0, TEXT_DIM), np.float32)
    clips = [v for v in clip if v is not None]
    clip_m = np.stack(clips) if n and len(clips) == len(clip) else None
    parts = [np.stack(app) if n else np.zeros((0, APPEARANCE_DIM), np.float32), concepts, texts_m]
    if clip_m is not None:
        parts.append(clip_m)
    return ShotTable(movie_ids, np.asarray(idx, np.int64), np.concatenate(parts, axis=1).astype(np.float32),
                     concepts, texts_m, clip_m)


@dataclass
class TagHit:
    movie_id: str
    shot: int
    score: float
    why: list[dict[str, Any]]


@dataclass
class Response:
    tag: str
    score: float
    learned: bool
    movie_tagged: bool

    def why(self) -> dict[str, Any]:
        return {"modality": "tag", "tag": self.tag, "score": round(self.score, 4),
                "how": "learned" if self.learned else "zero-shot", "movie_tag": self.movie_tagged}


class TagIndex:
    def __init__(self, store: StoreReader, encoders: Callable[[], Encoders] = default_encoders):
        self.store = store
        self._encoders = encoders     # the engine's (injected or default), asked when a tag needs them
        self._lock = threading.Lock()
        self._gen: int | None = None
        self._table: ShotTable | None = None
        self._vocab: list[str] = []
        self._responses: np.ndarray | None = None      # (n_shots, len(vocab))
        self._row: dict[tuple[str, int], int] = {}
        self._movie_tags: dict[str, set[str]] = {}
        self._zero: dict[str, np.ndarray] = {}         # zero-shot scores, per tag, for this generation

    # -- model -------------------------------------------------------------------------------
    def _cache_dir(self) -> Path:
        return self.store.root / "tags"

    def _ensure(self) -> None:
        gen = self.store.generation()
        with self._lock:
            if self._gen == gen:
                return
            table = build_table(self.store)
            movies = self.store.list_movies()
            tags = {m.id: movie_tags(m) for m in movies}
            counts: dict[str, int] = {}
            for ts in tags.values():
                for t in ts:
                    counts[t] = counts.get(t, 0) + 1
            with_shots = {m for m in table.movie_ids}
            n_movies = len(with_shots)
            vocab = sorted(t for t, c in counts.items() if 0 < c < n_movies)   # needs positives and negatives
            responses = self._load(gen, vocab, len(table.movie_ids))
            if responses is None:
                responses = self._train(table, tags, vocab)
                self._save(gen, vocab, responses)
            self._table, self._vocab, self._responses, self._movie_tags = table, vocab, responses, tags
            self._row = {(m, int(i)): r for r, (m, i) in enumerate(zip(table.movie_ids, table.shot_idx, strict=True))}
            self._zero = {}
            self._gen = gen

    @staticmethod
    def _train(table: ShotTable, tags: dict[str, set[str]], vocab: list[str]) -> np.ndarray:
        n = len(table.movie_ids)
        if not vocab or n == 0:
            return np.zeros((n, 0), np.float32)
        bag_names = sorted(set(table.movie_ids))
        bag_index = {m: i for i, m in enumerate(bag_names)}
        bag_of = np.array([bag_index[m] for m in table.movie_ids])
        labels = np.array([[1.0 if t in tags.get(m, set()) else 0.0 for t in vocab] for m in bag_names], np.float32)
        model: MilModel = train_mil(table.features, bag_of, labels)
        return model.responses(table.features).astype(np.float32)

    def _load(self, gen: int, vocab: list[str], n: int) -> np.ndarray | None:
        path = self._cache_dir() / f"responses-{gen}.npz"
        try:
            data = np.load(path, allow_pickle=False)
            if json.loads(str(data["vocab"])) == vocab and data["responses"].shape == (n, len(vocab)):
                return data["responses"]
        except (OSError, ValueError, KeyError):
            pass
        return None

    def _save(self, gen: int, vocab: list[str], responses: np.ndarray) -> None:
        folder = self._cache_dir()
        try:
            folder.mkdir(exist_ok=True)
            tmp = folder / f".responses-{gen}.{os.getpid()}.npz"
            np.savez(tmp, vocab=np.array(json.dumps(vocab)), responses=responses)
            os.replace(tmp, folder / f"responses-{gen}.npz")
            for old in folder.glob("responses-*.npz"):
                if old.name != f"responses-{gen}.npz":
                    old.unlink(missing_ok=True)
        except OSError:
            pass   # a read-only library still answers; it just retrains next time

    @property
    def vocabulary(self) -> list[str]:
        self._ensure()
        return list(self._vocab)

    # -- scoring -----------------------------------------------------------------------------
    def scores(self, tag: str) -> tuple[np.ndarray, bool]:
        """Response of every shot of the library to `tag`, and whether it was learned (else zero-shot)."""
        self._ensure()
        assert self._table is not None and self._responses is not None
        tag = tag.lower().strip()
        if tag in self._vocab:
            return self._responses[:, self._vocab.index(tag)], True
        if tag not in self._zero:   # embedding the tag and scoring every shot once per library state
            self._zero[tag] = self._zero_shot(tag)
        return self._zero[tag], False

    def _zero_shot(self, tag: str) -> np.ndarray:
        """A tag nobody labelled: its words against each shot's concepts and texts (MiniLM), and a
        CLIP prompt against the shot images when CLIP is present."""
        table = self._table
        assert table is not None
        out = np.zeros(len(table.movie_ids), np.float32)
        enc = self._encoders()
        if enc.text is not None and len(out):
            q = enc.text([tag])[0]
            if q.shape[0] == table.concepts.shape[1]:
                out = np.maximum(table.concepts @ q, 0.8 * (table.texts @ q))
        if table.clip is not None and enc.clip_text is not None:
            prompt = enc.clip_text([f"a photo of {tag}"])[0]
            if prompt.shape[0] == table.clip.shape[1]:
                out = np.maximum(out, table.clip @ prompt)
        return out.astype(np.float32)

    def search(self, tags: list[str], allowed: set[str] | None, k: int) -> list[TagHit]:
        """Shots ranked by their mean response to the tags, lifted when their movie carries them."""
        self._ensure()
        table = self._table
        assert table is not None
        if not table.movie_ids:
            return []
        total = np.zeros(len(table.movie_ids), np.float32)
        scored = {tag: self.scores(tag) for tag in tags}
        for tag, (s, _) in scored.items():
            tagged = np.array([tag in self._movie_tags.get(m, set()) for m in table.movie_ids])
            total += s + MOVIE_TAG_BOOST * tagged
        total /= max(1, len(tags))
        if allowed is not None:
            total = np.where([m in allowed for m in table.movie_ids], total, -np.inf)
        order = np.argsort(-total, kind="stable")[:k]
        hits = []
        for r in order:
            if not np.isfinite(total[r]):
                break
            mid = table.movie_ids[r]
            why = [Response(t, float(s[r]), learned, t in self._movie_tags.get(mid, set())).why()
                   for t, (s, learned) in scored.items()]
            hits.append(TagHit(mid, int(table.shot_idx[r]), float(total[r]), why))
        return hits

    def response(self, tag: str, movie_id: str, shots: tuple[int, int]) -> Response:
        """The strongest response to `tag` among a clip's shots."""
        s, learned = self.scores(tag)
        rows = [self._row[(movie_id, i)] for i in range(shots[0], shots[1] + 1) if (movie_id, i) in self._row]
        best = float(max((s[r] for r in rows), default=0.0))
        return Response(tag, best, learned, tag in self._movie_tags.get(movie_id, set()))
