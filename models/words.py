"""English word segmentation for on-screen text: the OCR recogniser often reads a caption's letters
right but drops the spaces between them ("MEETMEATTHELIGHTHOUSE", a known limit of the PP-OCR
recognition models), which hides every word from keyword search. wordsegment's unigram and bigram
counts (shipped inside the package, Apache-2.0) pick the likeliest split."""

from __future__ import annotations

import threading
from pathlib import Path

from cinesearch.models.registry import ModelUnavailable, resolve


class WordSegmenter:
    """`segment` splits a run of ASCII letters and digits into lower-case words; `known` says
    whether a word is in the vocabulary (unknown chunks come back whole from `segment`)."""

    def __init__(self, folder: Path) -> None:
        from wordsegment import Segmenter

        missing = [n for n in ("unigrams.txt", "bigrams.txt") if not (folder / n).is_file()]
        if missing:
            raise ModelUnavailable(f"wordsegment: {', '.join(missing)} not found in {folder}")
        seg = Segmenter()   # its own load() also reads a words list that segmenting never uses
        seg.unigrams.update(seg.parse(str(folder / "unigrams.txt")))
        seg.bigrams.update(seg.parse(str(folder / "bigrams.txt")))
        seg.total, seg.limit = Segmenter.TOTAL, Segmenter.LIMIT
        self._segmenter = seg
        self._lock = threading.Lock()   # one segmentation at a time: cheap, and safe whatever the library keeps

    def segment(self, run: str) -> list[str]:
        with self._lock:
            return self._segmenter.segment(run)

    def known(self, word: str) -> bool:
        return word.lower() in self._segmenter.unigrams


def load_segmenter() -> WordSegmenter:
    path = resolve("wordsegment")     # the packaged unigrams.txt, or a folder holding unigrams.txt and bigrams.txt
    try:
        return WordSegmenter(path if path.is_dir() else path.parent)
    except ImportError as exc:
        raise ModelUnavailable(f"wordsegment cannot be imported ({exc}); pip install wordsegment==1.3.1") from exc
