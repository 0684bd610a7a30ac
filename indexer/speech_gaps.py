"""Which speech to transcribe when a movie has subtitles: the voiced regions no kept subtitle cue
covers (forced subtitles, a partial file, untranslated lines), and which audio stream and Whisper
model to use. Pure functions, tested without models."""

from __future__ import annotations

from collections.abc import Sequence

from cinesearch.indexer.languages import rank
from cinesearch.indexer.media import StreamFact

PAD = 0.3            # a cue covers a little before and after it (subtitles lead and trail speech)
MIN_SECONDS = 0.6    # shorter leftovers are the edges of covered lines, not lines of their own
MAX_SECONDS = 30.0   # Whisper's window: longer regions are cut in pieces


def merge(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, overlapping or touching spans joined."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif b > a:
            out.append((a, b))
    return out


def uncovered(voiced: Sequence[tuple[float, float]], covered: Sequence[tuple[float, float]], pad: float = PAD,
              min_seconds: float = MIN_SECONDS, max_seconds: float = MAX_SECONDS) -> list[tuple[float, float]]:
    """The parts of the voiced regions outside every covered span (each widened by `pad`), without
    pieces shorter than `min_seconds`, cut to at most `max_seconds` each."""
    cover = merge([(a - pad, b + pad) for a, b in covered])
    out: list[tuple[float, float]] = []
    for start, end in merge(voiced):
        pieces = [(start, end)]
        for ca, cb in cover:
            if cb <= start or ca >= end:
                continue
            nxt = []
            for a, b in pieces:
                if cb <= a or ca >= b:
                    nxt.append((a, b))
                    continue
                if ca > a:
                    nxt.append((a, ca))
                if cb < b:
                    nxt.append((cb, b))
            pieces = nxt
        for a, b in pieces:
            if b - a < min_seconds:
                continue
            while b - a > max_seconds:
                out.append((a, a + max_seconds))
                a += max_seconds
            if b - a >= min_seconds:
                out.append((a, b))
    return out


def covered_seconds(voiced: Sequence[tuple[float, float]], covered: Sequence[tuple[float, float]]) -> float:
    total = sum(b - a for a, b in merge(voiced))
    left = sum(b - a for a, b in uncovered(voiced, covered, min_seconds=0.0, max_seconds=float("inf")))
    return total - left


def audio_stream(streams: Sequence[StreamFact], preference: Sequence[str]) -> StreamFact | None:
    """The audio stream to transcribe: the first preferred language, then the default stream,
    then the first; commentary and audio-description tracks last."""
    audio = [s for s in streams if s.kind == "audio"]
    if not audio:
        return None

    def key(s: StreamFact) -> tuple[int, int, int, int]:
        title = (s.title or "").lower()
        aside = int("comment" in title or "description" in title or s.hearing_impaired)
        return (aside, rank(s.lang, preference), 0 if s.default else 1, s.index)

    return min(audio, key=key)


def speech_model(profile_model: str, lang: str | None, multilingual: str = "whisper-base") -> tuple[str, str | None]:
    """(model, language to decode) for speech in `lang`: English keeps the profile's model
    (tiny.en in the fast profile); any other language needs the multilingual one. Unknown
    language (nothing detected): the profile's model, as before."""
    if lang is None or lang == "en":
        return profile_model, lang
    return (profile_model if not profile_model.endswith(".en") else multilingual), lang
