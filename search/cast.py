"""Cast search: find a character by name or by one uploaded face, including the shots where the
face is turned away or too small, through the visual and temporal links of `cast_graph` and PPCC.

Naming runs at query time over one movie's graph (a few hundred nodes: milliseconds) and is cached
until the library changes, so adding a portrait to movie.json renames every track at once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cinesearch.search.cast_graph import CastNode, affinity
from cinesearch.search.ppcc import ppcc
from cinesearch.search.store import Character, Store

FACE_CANDIDATES = 200     # nearest face tracks of the library for an uploaded photo
FACE_MIN_COSINE = 0.88    # a movie is a candidate when one of its tracks comes this close
MIN_PROBABILITY = 0.5
RIVAL_BELOW = 0.90        # a portrait closer than this to the photo is the same person, not a rival


@dataclass
class CastHit:
    movie_id: str
    shot: int
    start: float
    end: float
    score: float
    why: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Graph:
    nodes: list[CastNode]
    characters: list[Character]
    shots: list[tuple[float, float]]


def _name_matches(character: Character, names: set[str]) -> bool:
    return character.name.lower() in names or (character.actor or "").lower() in names


class CastSearch:
    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._gen: int | None = None
        self._graphs: dict[str, _Graph] = {}

    def _graph(self, movie_id: str) -> _Graph:
        with self._lock:
            gen = self.store.generation()
            if gen != self._gen:
                self._graphs.clear()
                self._gen = gen
            g = self._graphs.get(movie_id)
            if g is None:
                g = self._graphs[movie_id] = self._build(movie_id)
            return g

    def _build(self, movie_id: str) -> _Graph:
        shots = self.store.get_shots(movie_id)
        scene_of = {}
        for sc in self.store.get_scenes(movie_id):
            for i in range(sc.first_shot, sc.last_shot + 1):
                scene_of[i] = sc.index
        tracks = self.store.get_tracks(movie_id)
        with_face = {t.shot for t in tracks}
        nodes = [CastNode(t.kind, t.shot, scene_of.get(t.shot), t.face, t.body,
                          shots[t.shot].appearance if t.shot < len(shots) else None, t) for t in tracks]
        nodes += [CastNode("shot", s.index, scene_of.get(s.index), None, None, s.appearance, s.index)
                  for s in shots if s.index not in with_face]
        return _Graph(nodes, self.store.get_characters(movie_id), [(s.start, s.end) for s in shots])

    def _propagate(self, g: _Graph, identities: Sequence[np.ndarray | None],
                   labels: list[int] | None = None) -> np.ndarray:
        """(nodes, identities + 1) probabilities. Labelled faces come first in the graph; `labels`
        gives each face's identity (default: one identity per face)."""
        labels = list(range(len(identities))) if labels is None else labels
        n_ids = max(labels) + 1 if labels else 0
        nodes = [CastNode("identity", face=f) for f in identities] + g.nodes
        p = ppcc(affinity(nodes), dict(enumerate(labels)), n_ids)
        return p[len(identities):]

    def _hits(self, movie_id: str, g: _Graph, p: np.ndarray, ident: int, query: np.ndarray | None,
              label: str) -> list[CastHit]:
        best: dict[int, CastHit] = {}
        for node, row in zip(g.nodes, p, strict=True):
            prob = float(row[ident])
            if prob < MIN_PROBABILITY or prob < row[-1] or node.shot is None:
                continue
            if node.face is not None and query is not None:
                why = {"modality": "face", "who": label, "score": round(float(node.face @ query), 4)}
            elif node.face is not None:
                why = {"modality": "face", "who": label, "score": round(prob, 4)}
            else:
                why = {"modality": "link", "who": label, "how": "temporal/visual", "score": round(prob, 4)}
            start, end = g.shots[node.shot]
            hit = best.get(node.shot)
            if hit is None or prob > hit.score:
                best[node.shot] = CastHit(movie_id, node.shot, start, end, prob, [why])
        return list(best.values())

    def by_names(self, names: list[str], allowed: set[str] | None, movie_ids: list[str]) -> tuple[list[CastHit],
                                                                                                  list[str]]:
        """Shots where a named character appears; also the movies whose character has no face to
        search with (the caller falls back to their lines)."""
        wanted = {n.lower() for n in names}
        hits: list[CastHit] = []
        faceless: list[str] = []
        for mid in movie_ids:
            if allowed is not None and mid not in allowed:
                continue
            g = self._graph(mid)
            chars = [c for c in g.characters if c.face is not None]
            match = [i for i, c in enumerate(chars) if _name_matches(c, wanted)]
            if not match:
                if any(_name_matches(c, wanted) for c in g.characters):
                    faceless.append(mid)
                continue
            p = self._propagate(g, [c.face for c in chars])
            for i in match:
                hits += self._hits(mid, g, p, i, None, chars[i].name)
        hits.sort(key=lambda h: (-h.score, h.movie_id, h.shot))
        return hits, faceless

    def by_face(self, query: np.ndarray, allowed: set[str] | None) -> list[CastHit]:
        """Every appearance of the person in the photo: face matches, then propagation through the
        movie's links, with the movie's own cast as competing identities."""
        scores, ids = self.store.vector_search("face", query[None].astype(np.float32), FACE_CANDIDATES)
        found = self.store.lookup_tracks([int(i) for i in ids[0] if i >= 0])
        movies = sorted({mid for (s, i) in zip(scores[0], ids[0], strict=True)
                         if int(i) in found and s >= FACE_MIN_COSINE
                         for mid in [found[int(i)][0]] if allowed is None or mid in allowed})
        hits: list[CastHit] = []
        for mid in movies:
            g = self._graph(mid)
            portraits = [c for c in g.characters if c.face is not None]
            same = [c.face for c in portraits if float(c.face @ query) >= RIVAL_BELOW]   # the photo's own portrait
            rivals = [c.face for c in portraits if float(c.face @ query) < RIVAL_BELOW]
            p = self._propagate(g, [query, *same, *rivals],
                                [0] * (1 + len(same)) + list(range(1, 1 + len(rivals))))
            hits += self._hits(mid, g, p, 0, query, "photo")
        hits.sort(key=lambda h: (-h.score, h.movie_id, h.shot))
        return hits
