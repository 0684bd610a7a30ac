"""Pure scoring for the real-film evaluation: boundary precision/recall/F1 with a tolerance, and
recall@k of clips against truth spans. No media, no models: unit-tested in tests/unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    matched: int
    found: int
    truth: int

    def line(self) -> str:
        return (f"P {self.precision:.2f}  R {self.recall:.2f}  F1 {self.f1:.2f}  "
                f"({self.matched} matched, {self.found} found, {self.truth} true)")


def _distance(f: float, t: float | Sequence[float]) -> float:
    """Seconds from a found boundary to a true one: a time, or a (start, end) span such as a
    dissolve, where anywhere inside is right."""
    if isinstance(t, (int, float)):
        return abs(f - t)
    lo, hi = t
    return 0.0 if lo <= f <= hi else min(abs(f - lo), abs(f - hi))


def boundary_prf(found: Sequence[float], truth: Sequence[float | Sequence[float]], tolerance: float) -> PRF:
    """Match found boundaries to true ones one-to-one (closest pairs first) within `tolerance`
    seconds. With no true boundaries and none found the score is perfect: a clip with no cuts
    that gets none is right."""
    pairs = sorted((_distance(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)
                   if _distance(f, t) <= tolerance)
    used_f: set[int] = set()
    used_t: set[int] = set()
    for _, i, j in pairs:
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    m = len(used_f)
    if not found and not truth:
        return PRF(1.0, 1.0, 1.0, 0, 0, 0)
    p = m / len(found) if found else 0.0
    r = m / len(truth) if truth else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return PRF(p, r, f1, m, len(found), len(truth))


def span_hits(clip: tuple[float, float], spans: Sequence[Sequence[float]]) -> bool:
    """A clip answers a query when at least half of the clip, or half of a true span, is shared
    with that span: a clip that holds the moment counts, one that only grazes it does not."""
    s, e = clip
    for a, b in spans:
        inter = min(e, b) - max(s, a)
        if inter <= 0:
            continue
        if inter >= 0.5 * max(e - s, 1e-6) or inter >= 0.5 * (b - a):
            return True
    return False


def recall_at(ranked: Sequence[tuple[float, float]], spans: Sequence[Sequence[float]], k: int) -> bool:
    return any(span_hits(c, spans) for c in ranked[:k])
