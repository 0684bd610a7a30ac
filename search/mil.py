"""Multiple-instance learning of shot-level tag responses from movie-level tags (the talk's "From
Trailers to Storylines"): a movie tagged "chase" is a positive bag whose tag is explained by *some*
of its shots; an untagged movie is a negative bag, all of whose shots are negatives.

One linear scorer per tag over the shot features; a bag's score is a smooth maximum of its shots'
scores (log-mean-exp with sharpness r), so the gradient flows to the few shots that explain the tag.
Full-batch Adam on standardised features; deterministic for a given library.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class MilModel:
    mean: np.ndarray      # (d,) feature standardisation
    scale: np.ndarray     # (d,)
    weights: np.ndarray   # (d, T)
    bias: np.ndarray      # (T,)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def responses(self, x: np.ndarray, temperature: float = 4.0) -> np.ndarray:
        """Per shot and tag, a response in (0, 1). The temperature keeps confident shots apart
        (a plain sigmoid saturates to ties at 1.0 in float32 and the ranking among them is lost)."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.logits(x) / temperature, -30, 30)))


def train_mil(features: np.ndarray, bag_of: np.ndarray, labels: np.ndarray, *, sharpness: float = 4.0,
              l2: float = 1e-2, epochs: int = 300, lr: float = 0.02, seed: int = 0) -> MilModel:
    """features (n_shots, d); bag_of (n_shots,) bag index of each shot; labels (n_bags, T) in {0, 1}.

    Each tag's positives and negatives are weighted to balance, so a rare tag is still learned."""
    import torch

    x = np.asarray(features, np.float32)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-3
    gen = torch.Generator().manual_seed(seed)
    xt = torch.from_numpy((x - mean) / scale)
    bags = torch.from_numpy(np.asarray(bag_of, np.int64))
    y = torch.from_numpy(np.asarray(labels, np.float32))
    n_bags, n_tags = y.shape
    counts = torch.bincount(bags, minlength=n_bags).clamp(min=1).float()
    w = (torch.randn(x.shape[1], n_tags, generator=gen) * 0.01).requires_grad_()
    b = torch.zeros(n_tags, requires_grad=True)
    pos = y.sum(0).clamp(min=1)
    neg = (1 - y).sum(0).clamp(min=1)
    weight = torch.where(y > 0, 0.5 / pos, 0.5 / neg)      # each tag: positives and negatives count equally
    opt = torch.optim.Adam([w, b], lr=lr)
    index = bags[:, None].expand(-1, n_tags)
    for _ in range(epochs):
        opt.zero_grad()
        logits = xt @ w + b                                  # (n, T)
        # log-mean-exp per bag, stabilised by the bag maximum
        peak = torch.full((n_bags, n_tags), -1e9).scatter_reduce(0, index, logits, "amax")
        shifted = torch.exp(sharpness * (logits - peak[bags]))
        sums = torch.zeros(n_bags, n_tags).index_add(0, bags, shifted)
        bag_logit = peak + torch.log(sums / counts[:, None]) / sharpness
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(bag_logit, y, reduction="none") * weight).sum()
        loss = loss / n_tags + l2 * (w * w).sum()
        loss.backward()
        opt.step()
    return MilModel(mean, scale, w.detach().numpy(), b.detach().numpy())


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> float:
    """AP of a ranking: the mean precision at the rank of each relevant item."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    rel = np.asarray(relevant, bool)[order]
    if not rel.any():
        return 0.0
    hits = np.cumsum(rel)
    return float(np.mean(hits[rel] / (np.flatnonzero(rel) + 1)))
