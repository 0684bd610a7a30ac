"""The speech stage: a transcript (faster-whisper, packaged models) as timed segments with word
times and their language, of the speech no kept subtitle covers.

Which audio stream, which language and which model: the stream comes first by the preferred
languages, then by the default flag; its language tag is trusted when it has one, else the
multilingual model detects it from the first voiced half minute; English is transcribed by the
profile's model (tiny.en in the fast profile), other languages by the multilingual Whisper base."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cinesearch import models
from cinesearch.indexer.media import StreamFact
from cinesearch.indexer.speech_gaps import speech_model, uncovered
from cinesearch.models.registry import notice_once
from cinesearch.search.store import TextSegment

MULTILINGUAL = "whisper-base"


def spoken_language(video: Path, stream: StreamFact | None, beam_size: int) -> tuple[str | None, str]:
    """(language, how it is known): the stream's tag, else detection by the multilingual model."""
    if stream is not None and stream.lang is not None:
        return stream.lang, "tagged"
    detector = models.transcriber(MULTILINGUAL, beam_size)
    if detector is None:
        notice_once("speech:language", f"{video.name}: the audio's language is untagged and {MULTILINGUAL} is not "
                                       "installed to detect it; it is taken as English")
        return None, "assumed"
    from cinesearch.models.speech import detect_language

    lang, _prob = detect_language(detector, video, stream.index if stream else None)
    return lang, "detected"


def transcribe(video: Path, model: str, beam_size: int, stream: StreamFact | None = None,
               covered: Sequence[tuple[float, float]] = ()) -> list[TextSegment] | None:
    """Timed transcript segments of the speech outside `covered` (the subtitle cues); None when
    no speech model can be had (announced once)."""
    lang, how = spoken_language(video, stream, beam_size)
    name, decode_lang = speech_model(model, lang, MULTILINGUAL)
    transcriber = models.transcriber(name, beam_size)
    if transcriber is None:
        return None
    keep = (lambda voiced: uncovered(voiced, covered)) if covered else None
    segments = transcriber(video, stream.index if stream else None, decode_lang, keep)
    extra_lang = decode_lang or ("en" if name.endswith(".en") else None)
    return [TextSegment("transcript", name, s.start, s.end, s.text,
                        extra={"words": [[w.word, round(w.start, 3), round(w.end, 3)] for w in s.words],
                               **({"lang": extra_lang, "lang_from": how} if extra_lang else {})})
            for s in segments]
