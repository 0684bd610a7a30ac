"""The relevance floor: which clips are strong matches, calibrated so that a strength means the
same for every query and every kind of evidence.

Raw scores do not: a MiniLM cosine of 0.3 is chance against a shot's long list of concept labels
and a fair match against a subtitle line; a BM25 score depends on the query's length. So each
library is calibrated against chance. The calibration queries (`search.null_queries`: sentences
about no particular film) are searched in the library once per library state; per kind of text
(subtitle, transcript, ocr, concepts, plot, ...) and for CLIP shot vectors, each query's best
score is what chance reaches there. A piece of evidence's **strength** is the share of those
chance scores it beats (an empirical percentile, 0-1): 0.9 means it beats the best chance match
of nine calibration queries out of ten, whatever the kind and the query. Keyword (BM25) hits are
scored by the share of the query's keywords the text holds, mapped onto the same scale with the
floor at `KEYWORD_FLOOR`; a learned tag response is a probability (floor 0.5); faces are already
thresholded by the face model. A clip is **strong** when its best evidence reaches `STRONG`; a
paragraph's clip when half its sentences do, or its story (plot/synopsis) similarity does.

Pure functions, but for `RelevanceFloor`, which runs the calibration queries through a store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from cinesearch.search.encoders import Encoders
    from cinesearch.search.store import StoreReader

STRONG = 0.97           # the strength a clip's best evidence must reach to be a strong match
KEYWORD_FLOOR = 0.6     # share of a query's keywords a text must hold for a strong keyword hit
TAG_FLOOR = 0.5         # a learned tag response (a probability) at which the shot carries the tag
CALIBRATION_K = 50      # nearest items read per calibration query
POOLED = "*"            # the null of every kind together, for a kind calibrated by no query


@dataclass(frozen=True)
class NullScores:
    """Per kind of evidence, the calibration queries' best scores, sorted."""
    by_kind: Mapping[str, np.ndarray] = field(default_factory=dict)

    def strength(self, kind: str | None, score: float) -> float:
        """The share of chance's best scores for this kind that `score` beats (1.0 when nothing
        was calibrated: no library, or no such vectors)."""
        null = self.by_kind.get(kind or POOLED)
        if null is None:
            null = self.by_kind.get(POOLED)
        if null is None or not len(null):
            return 1.0
        return float(np.searchsorted(null, score, side="left")) / len(null)


def null_from_hits(per_query: Sequence[Sequence[tuple[str, float]]], k: int) -> NullScores:
    """The null from each calibration query's hits ((kind, score), any order, at most k). A kind
    missing from a query's k hits scored at most the k-th score there, so that is its value
    (a bound from above, which makes the floor cautious); with fewer than k hits the library has
    no more items, and the kind counts as chance-free for that query."""
    kinds = sorted({kind for hits in per_query for kind, _ in hits})
    values: dict[str, list[float]] = {kind: [] for kind in [*kinds, POOLED]}
    for hits in per_query:
        if not hits:
            continue
        ordered = sorted(hits, key=lambda h: -h[1])
        cutoff = ordered[-1][1] if len(ordered) >= k else -1.0
        best: dict[str, float] = {}
        for kind, score in ordered:
            best.setdefault(kind, score)
        for kind in kinds:
            values[kind].append(best.get(kind, cutoff))
        values[POOLED].append(ordered[0][1])
    return NullScores({kind: np.sort(np.asarray(v, np.float64)) for kind, v in values.items() if v})


_WORD = re.compile(r"\w+")
_SUFFIX = re.compile(r"(?:ing|ed|es|s)$")


def _stem(word: str) -> str:
    w = word.lower()
    return _SUFFIX.sub("", w) if len(w) > 4 else w


def keyword_coverage(keywords: Iterable[str], text: str) -> float:
    """The share of the query's keywords that a text holds (crude stems: `riding` meets `riders`)."""
    wanted = {_stem(k): len(k) for k in keywords if k}     # stem -> length of the word typed
    if not wanted:
        return 0.0
    have = [_stem(w) for w in _WORD.findall(text)]

    def meets(k: str, h: str) -> bool:   # words under 4 letters match whole, not as prefixes
        return h == k or (wanted[k] >= 4 and h.startswith(k)) or (len(h) >= 4 and k.startswith(h))

    return sum(1 for k in wanted if any(meets(k, h) for h in have)) / len(wanted)


def on_scale(value: float, floor: float) -> float:
    """A value whose floor is `floor` (coverage, a probability), mapped piecewise-linearly onto the
    strength scale, so that `floor` lands on STRONG."""
    v = min(max(value, 0.0), 1.0)
    if v >= floor:
        return STRONG + (1.0 - STRONG) * (v - floor) / max(1e-9, 1.0 - floor)
    return STRONG * v / floor


def evidence_strength(why: Mapping[str, Any], null: NullScores, keywords: Sequence[str]) -> float:
    """The strength of one piece of evidence (an entry of a clip's `why`)."""
    modality = why.get("modality")
    score = float(why.get("score") or 0.0)
    if modality == "text":
        return null.strength(why.get("kind"), score)
    if modality == "bm25":
        return on_scale(keyword_coverage(keywords, str(why.get("text") or "")), KEYWORD_FLOOR)
    if modality == "visual":
        return null.strength("visual", score)
    if modality == "story":
        return max(null.strength("plot", score), null.strength("synopsis", score))
    if modality == "tag":
        if why.get("movie_tag"):
            return 1.0
        if why.get("how") == "learned":
            return on_scale(score, TAG_FLOOR)
        return null.strength("concepts", score)
    if modality in ("face", "link", "cast"):
        return 1.0        # a face within the face model's distance threshold, or followed from one
    return 0.0


def clip_strength(why: Sequence[Mapping[str, Any]], null: NullScores, sentences: Sequence[Sequence[str]]) -> float:
    """A clip's strength from its evidence. `sentences`: each sentence's keywords. With one
    sentence, the best evidence; with several (a paragraph: evidence carries `sentence`), the
    strength that half the sentences reach, or the story similarity when that is higher."""
    if len(sentences) <= 1:
        words = sentences[0] if sentences else []
        return max((evidence_strength(w, null, words) for w in why), default=0.0)
    per_sentence = [0.0] * len(sentences)
    story = 0.0
    for w in why:
        i = w.get("sentence")
        if isinstance(i, int) and 0 <= i < len(sentences):
            per_sentence[i] = max(per_sentence[i], evidence_strength(w, null, sentences[i]))
        elif w.get("modality") == "story":
            story = max(story, evidence_strength(w, null, []))
    half = sorted(per_sentence, reverse=True)[(len(per_sentence) + 1) // 2 - 1]
    return max(half, story)


class RelevanceFloor:
    """The calibration of one library, redone when the library changes (its generation)."""

    def __init__(self, store: StoreReader, encoders: Callable[[], Encoders], queries: Sequence[str] | None = None):
        from cinesearch.search.null_queries import NULL_QUERIES
        from cinesearch.search.per_generation import PerGeneration

        self.store = store
        self._encoders = encoders
        self.queries = tuple(queries if queries is not None else NULL_QUERIES)
        self._null = PerGeneration(store, self._calibrate)

    def null(self) -> NullScores:
        return self._null.get()

    def _calibrate(self) -> NullScores:
        from cinesearch.search.store import Retrieval

        enc = self._encoders()
        requests: list[Retrieval] = []
        if enc.text is not None:
            requests += [Retrieval("text", CALIBRATION_K, vector=v) for v in enc.text(list(self.queries))]
        n_text = len(requests)
        if enc.clip_text is not None:
            requests += [Retrieval("visual", CALIBRATION_K, vector=v) for v in enc.clip_text(list(self.queries))]
        if not requests:
            return NullScores()
        answers = self.store.retrieve(requests)
        kinds = self.store.lookup_texts(sorted({i for a in answers[:n_text] for i, _ in a}))
        per_text = [[(kinds[i][1].kind, s) for i, s in a if i in kinds] for a in answers[:n_text]]
        text_null = null_from_hits(per_text, CALIBRATION_K).by_kind
        visual = null_from_hits([[("visual", s) for _, s in a] for a in answers[n_text:]], CALIBRATION_K).by_kind
        return NullScores({**text_null, **({"visual": visual["visual"]} if "visual" in visual else {})})
