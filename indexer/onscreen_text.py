"""Pure: the on-screen text of one shot, de-duplicated (the same caption read on three keyframes,
sometimes with one letter misread, is one text, kept in its best-read form) and re-spaced (words
the recogniser read without the spaces between them are split again)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_RUN = re.compile(r"[A-Za-z0-9]+")
_ONE_LETTER_WORDS = frozenset({"a", "i"})


@dataclass
class Reading:
    text: str
    score: float
    time: float
    box: tuple[float, float, float, float]


def _key(text: str) -> str:
    return _NON_WORD.sub(" ", text.casefold()).strip()


def dedupe(readings: Sequence[Reading], min_chars: int = 2, similar: float = 0.85) -> list[Reading]:
    """Keep one reading per distinct text (fuzzy match on a normalised form), the best-scored one,
    in order of first appearance. Readings with fewer than `min_chars` letters or digits are noise."""
    kept: list[Reading] = []
    keys: list[str] = []
    for r in readings:
        key = _key(r.text)
        if len(key.replace(" ", "")) < min_chars:
            continue
        for i, other in enumerate(keys):
            if key == other or SequenceMatcher(None, key, other).ratio() >= similar:
                if r.score > kept[i].score:
                    kept[i] = Reading(r.text, r.score, kept[i].time, r.box)
                break
        else:
            kept.append(r)
            keys.append(key)
    return kept


def respace(text: str, segment: Callable[[str], list[str]], known: Callable[[str], bool], min_run: int = 6) -> str:
    """`text` with each run of ASCII letters and digits that `segment` splits wholly into known
    words written as those words: "MEETMEATTHELIGHTHOUSE" -> "MEET ME AT THE LIGHTHOUSE" (the
    segmenter's counts decide whether a run is one word or several). The reading's own letters and
    case are kept; only spaces are added. A run is left as read when it is shorter than `min_run`,
    or when a piece would be unknown (a name, a code) or a stray letter."""

    def split(match: re.Match[str]) -> str:
        run = match.group(0)
        if len(run) < min_run or run.isdigit():
            return run
        pieces = segment(run)
        if len(pieces) < 2 or "".join(pieces) != run.lower():
            return run
        for piece in pieces:
            if piece.isdigit():
                continue
            if not known(piece) or (len(piece) == 1 and piece not in _ONE_LETTER_WORDS):
                return run
        out, at = [], 0
        for piece in pieces:
            out.append(run[at:at + len(piece)])
            at += len(piece)
        return " ".join(out)

    return _RUN.sub(split, text)
