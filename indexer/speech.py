"""The speech stage: a movie without subtitles gets a transcript (faster-whisper, packaged model)
as timed segments with word times."""

from __future__ import annotations

from pathlib import Path

from cinesearch import models
from cinesearch.search.store import TextSegment


def transcribe(video: Path, model: str, beam_size: int) -> list[TextSegment] | None:
    """Timed transcript segments; None when no speech model can be had (announced once)."""
    transcriber = models.transcriber(model, beam_size)
    if transcriber is None:
        return None
    return [TextSegment("transcript", model, s.start, s.end, s.text,
                        extra={"words": [[w.word, round(w.start, 3), round(w.end, 3)] for w in s.words]})
            for s in transcriber(video)]
