"""More like this: the shots of the library that look like a given shot, for an editor looking for
an alternative take, a matching establishing shot or every return to a location.

A shot's pooled EfficientNet-Lite3 feature (`appearance`, always there offline) and, when CLIP is
present, its CLIP image vector (`visual`) are each searched among all shots; the two rankings are
fused by weighted reciprocal rank, as text queries are. The pure part (`rank_neighbours`) decides
which hits become results; `SimilarShots` reads the store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cinesearch.errors import NotFound
from cinesearch.search.fusion import RRF_K, ranked, rrf
from cinesearch.search.store import Movie, Retrieval, Shot, Store

NEIGHBOURS_K = 200     # nearest shots fetched per modality
PER_MOVIE = 5          # results one movie may contribute (a long movie should not fill the page)


class ShotNotFound(NotFound, LookupError):
    """The movie or the shot named as the example does not exist (exit 2 / HTTP 404)."""


@dataclass
class Neighbour:
    key: tuple[str, int]                                      # (movie id, shot index)
    score: float            # fused rank score, 1.0 for the first hit of every modality
    cosines: dict[str, float] = field(default_factory=dict)   # modality -> cosine to the example


def rank_neighbours(hits: Mapping[str, Sequence[tuple[tuple[str, int], float]]], weights: Mapping[str, float],
                    exclude: set[tuple[str, int]], limit: int, per_movie: int = PER_MOVIE,
                    allowed: set[str] | None = None) -> list[Neighbour]:
    """Fuse per-modality neighbour lists ((movie, shot), cosine), best first, into at most `limit`
    results: the example itself (`exclude`) and movies outside `allowed` dropped, at most
    `per_movie` shots of one movie, each result with its cosine in every modality that found it."""
    cosines: dict[tuple[str, int], dict[str, float]] = {}
    rankings: dict[str, list[tuple[str, int]]] = {}
    for modality, items in hits.items():
        keep = [(key, s) for key, s in items if key not in exclude and (allowed is None or key[0] in allowed)]
        rankings[modality] = [key for key, _ in keep]
        for key, s in keep:
            cosines.setdefault(key, {}).setdefault(modality, s)
    fused = rrf(rankings, weights)
    best = sum(weights.get(m, 0.0) for m, items in rankings.items() if items) / (RRF_K + 1)
    out: list[Neighbour] = []
    taken: dict[str, int] = {}
    for key in ranked(fused):
        if taken.get(key[0], 0) >= per_movie:
            continue
        taken[key[0]] = taken.get(key[0], 0) + 1
        out.append(Neighbour(key, fused[key] / best, cosines[key]))
        if len(out) == limit:
            break
    return out


def _unit(v: np.ndarray | None) -> np.ndarray | None:
    if v is None or not len(v):
        return None
    v = np.asarray(v, np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else None


class SimilarShots:
    def __init__(self, store: Store):
        self.store = store

    def example(self, movie: Movie | None, movie_id: str, shot: int) -> Shot:
        """Shot `shot` of `movie` (None: no movie of that id), with its vectors."""
        if movie is None:
            raise ShotNotFound(f"no movie {movie_id!r}")
        found = self.store.get_shots(movie.id, shot, shot) if 0 <= shot < movie.n_shots else []
        if not found:
            raise ShotNotFound(f"movie {movie.id!r} has no shot {shot} (its shots are 0 to {movie.n_shots - 1})")
        return found[0]

    def neighbours(self, movie: Movie | None, movie_id: str, shot: int, weights: Mapping[str, float], limit: int,
                   allowed: set[str] | None = None) -> tuple[Shot, list[Neighbour]]:
        """The example shot and its nearest shots, fused over the vectors it has."""
        ex = self.example(movie, movie_id, shot)
        vectors = {"appearance": _unit(ex.appearance), "visual": _unit(ex.visual)}
        asked = [(m, v) for m, v in vectors.items() if v is not None]
        answers = self.store.retrieve([Retrieval(m, NEIGHBOURS_K + 1, vector=v) for m, v in asked])
        where = self.store.lookup_shots(sorted({i for a in answers for i, _ in a}))
        hits = {m: [(where[i], s) for i, s in a if i in where] for (m, _), a in zip(asked, answers, strict=True)}
        return ex, rank_neighbours(hits, weights, {(movie_id, ex.index)}, limit, allowed=allowed)
