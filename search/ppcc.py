"""Naming people in a movie from a few labelled faces: progressive propagation via competitive
consensus (PPCC, "Person Search in Videos with One Portrait Through Visual and Temporal Links",
ECCV 2018), and plain label propagation as the baseline it beats. Pure functions over an affinity
matrix.

Graph nodes are the labelled portraits (or an uploaded photo) and the unlabelled face tracks and
faceless shots; edge weights in [0, 1] come from face similarity, body/appearance similarity and
temporal adjacency (`search.cast_graph`).
"""

from __future__ import annotations

import numpy as np


def ppcc(weights: np.ndarray, labels: dict[int, int], n_ids: int, *, unknown: float = 0.35,
         temperature: float = 0.1, freeze_step: float = 0.05, max_rounds: int = 100) -> np.ndarray:
    """Identity probabilities (n_nodes x n_ids+1; the last column is "unknown").

    Competitive consensus: a node's evidence for identity c is the *strongest* single neighbour
    vote max_j w_ij * p_j(c), not a sum, so many weak links (co-occurring strangers) cannot outvote
    one strong one. A softmax over the identities and an "unknown" option of fixed score turns the
    votes into probabilities. Progressive freezing: after each round the most confident share of
    the still-free nodes is frozen, so confident nodes pass on their labels before doubtful ones
    speak."""
    w = np.asarray(weights, np.float64).copy()
    np.fill_diagonal(w, 0.0)
    n = len(w)
    p = np.zeros((n, n_ids + 1))
    p[:, n_ids] = 1.0
    frozen = np.zeros(n, bool)
    for node, ident in labels.items():
        p[node] = 0.0
        p[node, ident] = 1.0
        frozen[node] = True
    share = freeze_step
    for _ in range(max_rounds):
        free = np.flatnonzero(~frozen)
        if not len(free):
            break
        votes = (w[free][:, :, None] * p[None, :, :n_ids]).max(axis=1)          # (free, ids)
        scores = np.concatenate([votes, np.full((len(free), 1), unknown)], axis=1)
        e = np.exp((scores - scores.max(axis=1, keepdims=True)) / temperature)
        p[free] = e / e.sum(axis=1, keepdims=True)
        has_vote = votes.max(axis=1) > 0 if n_ids else np.zeros(len(free), bool)
        reached = free[has_vote]                  # nodes no label has reached yet wait, unfrozen
        if not len(reached):
            break
        confidence = p[reached, :n_ids].max(axis=1)
        k = max(1, int(np.ceil(share * len(reached))))
        frozen[reached[np.argsort(-confidence, kind="stable")[:k]]] = True
        share = min(1.0, share + freeze_step)
    return p


def label_propagation(weights: np.ndarray, labels: dict[int, int], n_ids: int, alpha: float = 0.9,
                      rounds: int = 100) -> np.ndarray:
    """The classic baseline (Zhou et al.): P <- alpha * D^-1/2 W D^-1/2 P + (1 - alpha) * Y."""
    w = np.asarray(weights, np.float64).copy()
    np.fill_diagonal(w, 0.0)
    d = w.sum(axis=1)
    d[d == 0] = 1.0
    s = w / np.sqrt(d)[:, None] / np.sqrt(d)[None, :]
    y = np.zeros((len(w), n_ids))
    for node, ident in labels.items():
        y[node, ident] = 1.0
    p = y.copy()
    for _ in range(rounds):
        p = alpha * s @ p + (1 - alpha) * y
    return p


def assign(p: np.ndarray, n_ids: int, threshold: float = 0.5) -> list[int | None]:
    """Identity per node (None: unknown or not confident enough)."""
    out: list[int | None] = []
    for row in p:
        c = int(np.argmax(row[:n_ids])) if n_ids else 0
        out.append(c if n_ids and row[c] >= threshold and row[c] >= row[-1] else None)
    return out
