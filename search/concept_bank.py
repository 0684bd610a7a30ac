"""Concept-bank scoring: a sentence is matched against each shot's ImageNet label probabilities
(the bank the vision layer keeps, indexer.concepts.label_bank), not only against the words of
its top labels.

Each class name is a sentence vector. For a query sentence, the classes whose names stand out
from the 1000 (a z-score over the query's similarities to all of them, so the cut means the
same for every query and encoder) get weights, and a shot scores the weighted sum of their
probabilities: "a rabbit in the grass" picks hare, wood rabbit and Angora and finds the shot the
classifier thought was 60 % sea lion and 10 % hare. Pure functions here; the engine owns the
label space (search.engine)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

FLOOR = 0.15     # weaker evidence is noise that only stretches spans: a class the sentence half
                 # names (weight 0.26) at a probability of 0.2 scores 0.12 and counts for nothing
Z_MIN = 3.0      # a class is about the query when its similarity stands this many deviations out
TOP = 8          # at most this many classes per sentence


def label_weights(sims: np.ndarray, z_min: float = Z_MIN, top: int = TOP) -> np.ndarray:
    """(sentences, classes) cosine similarities -> weights of the same shape: per sentence, the
    `top` classes at least `z_min` deviations above that sentence's mean similarity, weighted by
    how far above the cut they stand, summing to 1 (a row of zeros: no class is about it)."""
    sims = np.atleast_2d(np.asarray(sims, np.float64))
    out = np.zeros_like(sims)
    for i, row in enumerate(sims):
        std = float(row.std())
        if std <= 1e-9:
            continue
        z = (row - row.mean()) / std
        idx = np.argsort(-z, kind="stable")[:top]
        idx = idx[z[idx] >= z_min]
        if len(idx):
            w = z[idx] - z_min + 0.5
            out[i, idx] = w / w.sum()
    return out


def bank_matrix(banks: Sequence[Sequence[Sequence[float]]], n_classes: int) -> np.ndarray:
    """Per shot, its sparse bank [(class, probability), ...] as a dense (shots, classes) row."""
    out = np.zeros((len(banks), n_classes), np.float32)
    for s, bank in enumerate(banks):
        for c, p in bank:
            if 0 <= int(c) < n_classes:
                out[s, int(c)] = float(p)
    return out


def bank_scores(bank: np.ndarray, weights: np.ndarray, floor: float = FLOOR) -> np.ndarray:
    """Per shot, one sentence's concept-bank score: the weighted square roots of the shot's class
    probabilities (on a cosine's scale: p = 0.06, sixty times chance, gives 0.25 for a class the
    sentence is all about), zero below `floor`."""
    out = np.sqrt(np.asarray(bank, np.float64)) @ np.asarray(weights, np.float64)
    out[out < floor] = 0.0
    return out


def contributors(probs: np.ndarray, weights: np.ndarray, names: Sequence[str], keep: int = 3) -> list[str]:
    """The class names that gave one shot its bank score, most first (for `why`)."""
    part = np.asarray(probs, np.float64) * np.asarray(weights, np.float64)
    idx = [int(i) for i in np.argsort(-part)[:keep] if part[i] > 0]
    return [names[i].split(",")[0].strip() for i in idx]


@dataclass
class LabelSpace:
    """The classifier's class names and their sentence vectors (rows L2-normalised)."""
    names: list[str]
    vectors: np.ndarray

    def weights(self, sentence_vecs: np.ndarray) -> np.ndarray:
        return label_weights(np.asarray(sentence_vecs, np.float32) @ self.vectors.T)

    @classmethod
    def of(cls, names: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> LabelSpace:
        vecs = np.asarray(encode(list(names)), np.float32)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return cls(list(names), vecs)
