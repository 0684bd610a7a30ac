"""Pure: untimed story text (a script, synopsis paragraphs, a plot) cut into the units that get
aligned to scenes: script paragraphs (a character cue joined to its line) and sentences."""

from __future__ import annotations

import re

_ABBREV = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Capt|Lt|Col|Gen|vs|etc|No)\.$")
_SENT_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_CUE = re.compile(r"^[A-Z][A-Z0-9 .'\-]{0,40}(\([^)]*\))?$")
MAX_UNIT_CHARS = 400


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; keeps 'Mr. Smith' together."""
    text = " ".join(text.split())
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        piece = text[start:m.start()].strip()
        if _ABBREV.search(piece.split()[-1] if piece else ""):
            continue
        if piece:
            out.append(text[start:m.end()].strip())
            start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def script_units(text: str) -> list[str]:
    """A script's units: blank-line separated paragraphs; a character cue on its own line
    ('ROSE' or 'ROSE (V.O.)') is joined to the line it introduces ('ROSE: I'll never let go.').
    A script without blank lines is taken line by line. Long paragraphs are split into sentences."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    if len(blocks) <= 1:
        blocks = [ln for ln in text.split("\n") if ln.strip()]
    units: list[str] = []
    for block in blocks:
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        if len(lines) > 1 and _CUE.match(lines[0]) and not lines[0].startswith(("INT.", "EXT.")):
            unit = f"{lines[0].title()}: {' '.join(lines[1:])}"
        else:
            unit = " ".join(lines)
        if len(unit) > MAX_UNIT_CHARS:
            units.extend(split_sentences(unit))
        else:
            units.append(unit)
    return units


def synopsis_units(synopsis: str | list[str] | None) -> list[str]:
    paragraphs = [synopsis] if isinstance(synopsis, str) else list(synopsis or [])
    return [s for p in paragraphs for s in split_sentences(p)]
