"""Weighted reciprocal-rank fusion: each modality votes with 1 / (k + rank) for the items it found,
times its weight. Ranks, not raw scores, are fused, because cosine similarities, BM25 scores and
tag responses live on unrelated scales."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cinesearch import settings

K = TypeVar("K", bound=Hashable)

RRF_K = 60


@dataclass(frozen=True)
class FusionWeights:
    """How much each modality's ranking counts. Override with CINESEARCH_WEIGHTS, for example
    `text=1,bm25=0.7,visual=1.2,tag=1`."""
    text: float = 1.0      # MiniLM over subtitles, transcript, OCR, concepts, script, synopsis
    bm25: float = 0.8      # keywords over the same texts
    visual: float = 1.0    # CLIP text vector against shot images (when CLIP is present)
    tag: float = 1.0       # learned shot-level tag responses
    appearance: float = 0.7   # EfficientNet feature of a shot against another's ("more like this")
    bank: float = 0.5      # a sentence against a shot's label probabilities (search.concept_bank)

    def as_dict(self) -> dict[str, float]:
        return {"text": self.text, "bm25": self.bm25, "visual": self.visual, "tag": self.tag,
                "appearance": self.appearance, "bank": self.bank}

    @classmethod
    def from_env(cls, spec: str | None = None) -> FusionWeights:
        """The weights CINESEARCH_WEIGHTS sets (validated by cinesearch.settings), or those `spec`
        names, over the defaults."""
        pairs = settings.get().weights if spec is None else settings.parse_weights(spec)
        return cls(**{**cls().as_dict(), **dict(pairs)})


def rrf(rankings: Mapping[str, Sequence[K]], weights: Mapping[str, float], k: int = RRF_K) -> dict[K, float]:
    """Fused score per item: sum over modalities of weight / (k + rank), rank counted from 1.
    An item listed twice by one modality counts at its best rank."""
    out: dict[K, float] = {}
    for modality, items in rankings.items():
        w = weights.get(modality, 0.0)
        if w == 0.0:
            continue
        seen: set[K] = set()
        for rank, item in enumerate(items, start=1):
            if item in seen:
                continue
            seen.add(item)
            out[item] = out.get(item, 0.0) + w / (k + rank)
    return out


def ranked(scores: Mapping[K, float]) -> list[K]:
    return sorted(scores, key=lambda item: -scores[item])
