"""Pure: the on-screen text of one shot, de-duplicated. The same caption read on three keyframes
(sometimes with one letter misread) is one text, kept in its best-read form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


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
