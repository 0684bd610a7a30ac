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
# Short words real sentences are made of; any other piece of one or two letters is a scrap of a
# name or a code ("le two ry" of "LETWORY", "ge" of "Goedegebure"), and the run stays as read.
_SHORT_WORDS = frozenset({"a", "i", "am", "an", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is", "it",
                          "me", "my", "no", "of", "oh", "ok", "on", "or", "so", "to", "up", "us", "we"})
# web and mail addresses are read as one token and kept whole: "www.blendernation.com" is no sentence
_ADDRESS = re.compile(r"(?i)(?:https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+|\b[\w-]+(?:\.[\w-]+)*"
                      r"\.(?:com|org|net|edu|gov|info|io|tv|co|uk|de|fr|nl|eu)\b\S*)")


@dataclass
class Reading:
    text: str
    score: float
    time: float
    box: tuple[float, float, float, float]


def _key(text: str) -> str:
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box: a half-formed word's box lies inside the whole word's."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / small if small > 0 else 0.0


def clearest(readings: Sequence[Reading], same_region: float = 0.5) -> list[Reading]:
    """One reading per text region (boxes that overlap, read on different frames of the shot): the
    one the recogniser was surest of, and of those nearly as sure (within 0.05) the longest, so a
    title caught while it fades in ("The Blender Found") gives way to the frame where it is whole.
    Order: first appearance of each region."""
    regions: list[list[Reading]] = []
    for r in readings:
        for group in regions:
            if any(_overlap(r.box, o.box) >= same_region for o in group):
                group.append(r)
                break
        else:
            regions.append([r])
    out = []
    for group in regions:
        best = max(o.score for o in group)
        pick = max((o for o in group if o.score >= best - 0.05), key=lambda o: (len(_key(o.text)), o.score))
        out.append(Reading(pick.text, pick.score, min(o.time for o in group), pick.box))
    return out


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
    when a piece would be unknown (a code), a stray letter or a two-letter scrap that is no common
    word, when it looks like a name (a short capitalised word: "Roosendaal"; "LETWORY" is not "LE
    TWO RY") and inside web and mail addresses ("www.blendernation.com" is not "www.blem der nation.com")."""

    def split(match: re.Match[str]) -> str:
        run = match.group(0)
        if len(run) < min_run or run.isdigit():
            return run
        pieces = segment(run)
        if len(pieces) < 2 or "".join(pieces) != run.lower():
            return run
        if any(len(p) <= 2 and not p.isdigit() and p not in _SHORT_WORDS for p in pieces):
            return run
        if run[0].isupper() and run[1:].islower() and len(run) <= 10:
            return run          # a short capitalised word it does not know as one is a name
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

    out, at = [], 0
    for m in _ADDRESS.finditer(text):
        out += [_RUN.sub(split, text[at:m.start()]), m.group(0)]
        at = m.end()
    out.append(_RUN.sub(split, text[at:]))
    return "".join(out)
