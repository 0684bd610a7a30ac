"""The text layer: every piece of text about a movie, placed on its shots and scenes, embedded.

Inputs are the shots (times), the vision results (concepts, OCR), the speech transcript, the
subtitle/description cues and the untimed story text (script, synopsis, plot). Timed text attaches
to the shots it overlaps; script and synopsis units are aligned to scenes monotonically by their
similarity with each scene's timed text and concepts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cinesearch.indexer.align import align_monotonic, lexical_similarity, scene_of_shots, span_to_shots
from cinesearch.search.store import Scene, Shot, TextSegment

ALIGNED_KINDS = ("script", "synopsis")
SCENE_CONTEXT_KINDS = ("subtitle", "description", "transcript", "ocr", "concepts")


@dataclass(frozen=True)
class AlignParams:
    semantic_weight: float = 0.6   # cosine of MiniLM embeddings
    lexical_weight: float = 0.4    # share of the unit's content words found in the scene's text


def attach_timed(texts: Sequence[TextSegment], shots: Sequence[Shot]) -> list[TextSegment]:
    """Set first/last shot on each timed text; text lying wholly outside the movie is dropped."""
    starts = [s.start for s in shots]
    ends = [s.end for s in shots]
    out = []
    for t in texts:
        if t.start is None or t.end is None:
            out.append(t)
            continue
        span = span_to_shots(t.start, t.end, starts, ends)
        if span is None:
            continue
        t.first_shot, t.last_shot = span
        out.append(t)
    return out


def dialogue_gaps(texts: Sequence[TextSegment]) -> list[int]:
    """Shot gaps that a subtitle cue or transcript segment runs across (scene continuity cue)."""
    gaps: set[int] = set()
    for t in texts:
        if t.kind in ("subtitle", "transcript") and t.first_shot is not None and t.last_shot is not None:
            gaps.update(range(t.first_shot, t.last_shot))
    return sorted(gaps)


PAGE_LINES = 3   # a shot showing this many lines of text at once is a page (credits, a text card)


PAGE_BAND = (0.15, 0.85)   # where a page's rows lie: not the bands of subtitles, tickers and logos


def text_lines(boxes: Sequence[Sequence[float]], band: tuple[float, float] = PAGE_BAND) -> int:
    """How many rows of text the OCR boxes (x0, y0, x1, y1, fractions of the frame) stand in
    inside `band` of the frame's height: boxes side by side on one row (words a recogniser read
    apart) count once, and the top and bottom bands (a news ticker, a channel logo, two lines of
    subtitles) not at all, so a broadcast's furniture never makes a page."""
    rows: list[float] = []
    inside = [b for b in boxes if band[0] <= (b[1] + b[3]) / 2 <= band[1]]
    for box in sorted(inside, key=lambda b: (b[1] + b[3]) / 2):
        centre, height = (box[1] + box[3]) / 2, box[3] - box[1]
        if not rows or centre - rows[-1] > height / 2:
            rows.append(centre)
    return len(rows)


def page_gaps(lines: Sequence[int], min_lines: int = PAGE_LINES) -> list[int]:
    """Shot gaps between two pages of text (scene continuity cue): a roll of credits or a run of
    text cards is one block however its pages look, while one or two lines (subtitles burned in,
    a caption) say nothing of where a scene ends."""
    return [i for i in range(len(lines) - 1) if lines[i] >= min_lines and lines[i + 1] >= min_lines]


def scene_texts(texts: Sequence[TextSegment], scenes: Sequence[Scene], n_shots: int) -> list[str]:
    """Each scene's timed text and concepts, joined: what untimed text is compared with."""
    shot_scene = scene_of_shots([(s.first_shot, s.last_shot) for s in scenes])
    parts: list[list[str]] = [[] for _ in scenes]
    for t in texts:
        if t.kind in SCENE_CONTEXT_KINDS and t.first_shot is not None:
            for j in sorted({shot_scene[i] for i in range(t.first_shot, min(t.last_shot, n_shots - 1) + 1)}):
                parts[j].append(t.text)
    return [" ".join(p) for p in parts]


def align_untimed(units: Sequence[TextSegment], scenes: Sequence[Scene], context: Sequence[str],
                  embed: Callable[[Sequence[str]], np.ndarray] | None,
                  params: AlignParams = AlignParams()) -> list[TextSegment]:
    """Place script/synopsis units on scenes, in order, with a confidence. Each kind (and source
    file) is aligned on its own, since each is in story order by itself."""
    if not scenes or not units:
        return list(units)
    groups: dict[tuple[str, str], list[TextSegment]] = {}
    for u in units:
        groups.setdefault((u.kind, u.source), []).append(u)
    ctx_vecs = embed(context) if embed is not None else None
    for group in groups.values():
        sim = lexical_similarity([u.text for u in group], context)
        if ctx_vecs is not None and embed is not None:
            sim = params.lexical_weight * sim + params.semantic_weight * (embed([u.text for u in group]) @ ctx_vecs.T)
        path, conf = align_monotonic(sim)
        for u, j, c in zip(group, path, conf, strict=True):
            sc = scenes[j]
            u.start, u.end, u.first_shot, u.last_shot, u.confidence = sc.start, sc.end, sc.first_shot, sc.last_shot, c
    return list(units)


def embed_texts(texts: Sequence[TextSegment], embed: Callable[[Sequence[str]], np.ndarray] | None,
                known: dict[str, np.ndarray]) -> None:
    """Give each text its vector, reusing those already computed for the same words. Text known
    to be in another language than English gets none: the packaged embedder is English-only, and
    no multilingual one ships (its words are still found by keyword search)."""
    if embed is None:
        return
    english = [t for t in texts if embeddable(t)]
    todo = sorted({t.text for t in english if t.text not in known})
    if todo:
        known.update(zip(todo, embed(todo), strict=True))
    for t in english:
        t.vector = known[t.text]


def embeddable(t: TextSegment) -> bool:
    """English or of unknown language (the library's own, most often)."""
    return t.extra.get("lang") in (None, "en")
