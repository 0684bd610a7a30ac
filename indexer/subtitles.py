"""Subtitle files (.srt, .vtt, .ass/.ssa) to timed cues, robust to the mess real files are in:
BOMs, UTF-16, legacy 8-bit encodings, formatting and karaoke tags, drawings, and broken cues in
the middle of an otherwise good file.

Parsing is done by well-kept libraries (`srt`, `webvtt-py`, `pysubs2`); this module only decodes
bytes, picks the parser, cleans the text and keeps the cues that make sense.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

from cinesearch.indexer.errors import InputError
from cinesearch.indexer.side_file import read_capped

MAX_BYTES = 20 * 1024 * 1024   # a feature film's subtitles are < 1 MB; anything this big is not one
_TAG = re.compile(r"<[^>]{0,200}>|\{\\[^}]{0,200}\}")
_DRAWING = re.compile(r"\{[^}]*\\p[1-9][^}]*\}.*?(\{[^}]*\\p0[^}]*\}|$)", re.DOTALL)   # {\p1}m 0 0 l ...{\p0}
WESTERN_SLACK = 0.1    # how much more "chaos" (charset_normalizer's measure) cp1252 may show and still win
SUBTITLE_EXTENSIONS = frozenset({".srt", ".vtt", ".ass", ".ssa"})
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def decode_text(data: bytes, where: str) -> str:
    """Bytes to text: a BOM decides; else strict UTF-8; else the most likely legacy encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise InputError(where, "binary data, not a subtitle file")
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise InputError(where, "cannot tell the text encoding")
    # Short Western text is ambiguous between the 8-bit code pages, and the detector then picks
    # Central European or Baltic ones ("crčme brűlée"): Windows-1252, the commonest legacy encoding
    # of subtitles, wins whenever it reads the bytes about as cleanly.
    western = next((m for m in matches if m.encoding == "cp1252" and m.chaos <= best.chaos + WESTERN_SLACK), None)
    return str(western or best)


def clean(text: str) -> str:
    """Drop formatting tags (<i>, <font …>, {\\an8}) and collapse whitespace."""
    return " ".join(_TAG.sub("", text).split())


def ass_text(text: str) -> str:
    """One ASS/SSA dialogue text as plain words: drawings dropped, override blocks ({\\i1},
    karaoke {\\k20}) stripped, \\N and \\h made spaces."""
    text = _DRAWING.sub("", text)
    text = re.sub(r"\{[^}]{0,500}\}", "", text)
    return clean(text.replace("\\N", " ").replace("\\n", " ").replace("\\h", " "))


def parse_subtitles(path: Path) -> list[Cue]:
    """Timed cues, sorted by start. Raises InputError naming the file when nothing usable is in it."""
    where = str(path)
    data = read_capped(path, MAX_BYTES, "a subtitle file")
    text = decode_text(data, where).replace("\r\n", "\n").replace("\r", "\n")
    head = text.lstrip("\ufeff \n")
    if head.startswith("WEBVTT"):
        cues = _parse_vtt(text, where)
    elif path.suffix.lower() in (".ass", ".ssa") or head.startswith("[Script Info]"):
        cues = _parse_ass(text, where)
    else:
        cues = _parse_srt(text)
    cues = sorted((c for c in cues if c.text and c.end > c.start >= 0), key=lambda c: (c.start, c.end))
    if not cues:
        raise InputError(where, "no subtitle cues could be read (expected SubRip .srt, WebVTT .vtt or ASS/SSA)")
    return cues


def _parse_ass(text: str, where: str) -> list[Cue]:
    import pysubs2

    try:
        subs = pysubs2.SSAFile.from_string(text, format_="ass" if "[V4+ Styles]" in text else None)
    except (pysubs2.Pysubs2Error, ValueError, KeyError) as exc:
        raise InputError(where, f"malformed ASS/SSA: {exc}") from exc
    return [Cue(ev.start / 1000, ev.end / 1000, ass_text(ev.text)) for ev in subs.events if not ev.is_comment]


def _parse_srt(text: str) -> list[Cue]:
    import srt

    out = []
    # ignore_errors: a broken block is skipped, the cues around it are kept
    for sub in srt.parse(text, ignore_errors=True):
        out.append(Cue(sub.start.total_seconds(), sub.end.total_seconds(), clean(sub.content)))
    return out


def _parse_vtt(text: str, where: str) -> list[Cue]:
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        captions = webvtt.from_buffer(io.StringIO(text)).captions
    except MalformedFileError as exc:
        raise InputError(where, f"malformed WebVTT: {exc}") from exc
    return [Cue(_secs(c.start), _secs(c.end), clean(c.text)) for c in captions]


def _secs(stamp: str) -> float:
    parts = stamp.split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2]) if len(parts) >= 2 else 0
    hours = int(parts[-3]) if len(parts) >= 3 else 0
    return hours * 3600 + minutes * 60 + seconds
