"""The speech stage: a transcript (faster-whisper, packaged models) as timed segments with word
times and their language, of the speech no kept subtitle covers.

Which audio stream, which language and which model: the stream comes first by the preferred
languages, then by the default flag. Its language tag is trusted when it has one; else the
multilingual model listens to the first speech that is to be transcribed (so a film whose speech
is all subtitled costs no detection). English is transcribed by the profile's model (tiny.en in
the fast profile), other languages by the multilingual Whisper base."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cinesearch import models
from cinesearch.indexer.media import StreamFact
from cinesearch.indexer.speech_gaps import speech_model, uncovered
from cinesearch.models.registry import notice_once
from cinesearch.models.speech import Transcriber, audio_chunks, clip, voiced
from cinesearch.search.store import TextSegment

MULTILINGUAL = "whisper-base"


class _Speech:
    """Picks the model at the first speech to transcribe, detecting the language there if needed."""

    def __init__(self, video: Path, model: str, beam_size: int, lang: str | None):
        self.video, self.model, self.beam_size = video, model, beam_size
        self.lang, self.how = lang, "tagged" if lang else None
        self.transcriber: Transcriber | None = None
        self.decode_lang: str | None = None
        self.unavailable = False

    @property
    def detecting(self) -> bool:
        """Whether the language is still to be detected, at the first speech heard."""
        return self.how is None and self.transcriber is None and not self.unavailable

    def ready(self, audio, offset: float, regions: list[tuple[float, float]]) -> Transcriber | None:
        """The transcriber for this film, chosen at its first speech (`regions`: the speech heard in
        this chunk, which language detection listens to)."""
        if self.transcriber is not None or self.unavailable:
            return self.transcriber
        if self.how is None:
            detector = models.transcriber(MULTILINGUAL, self.beam_size)
            if detector is None:
                notice_once("speech:language", f"{self.video.name}: the audio's language is untagged and "
                                               f"{MULTILINGUAL} is not installed to detect it; it is taken as English")
                self.how = "assumed"
            else:
                self.lang, _prob, _ = detector.detect(clip(audio, offset, regions))
                self.how = "detected"
        name, self.decode_lang = speech_model(self.model, self.lang, MULTILINGUAL)
        self.transcriber = models.transcriber(name, self.beam_size)
        self.unavailable = self.transcriber is None
        return self.transcriber


def transcribe(video: Path, model: str, beam_size: int, stream: StreamFact | None = None,
               covered: Sequence[tuple[float, float]] = ()) -> list[TextSegment] | None:
    """Timed transcript segments of the speech outside `covered` (the subtitle cues); None when
    no speech model can be had (announced once)."""
    speech = _Speech(video, model, beam_size, stream.lang if stream else None)
    out = []
    for offset, audio in audio_chunks(video, stream=stream.index if stream else None):
        regions = None
        heard: list[tuple[float, float]] = []
        if covered:   # the voiced regions no cue covers (with no subtitles, the pipeline's own VAD)
            regions = heard = uncovered(voiced(audio, offset), covered)
            if not regions:
                continue
        elif speech.detecting:
            # the language is guessed from the first speech: a chunk of music, effects or silence
            # has none, so it loads no model and guesses no language from nothing
            heard = voiced(audio, offset)
            if not heard:
                continue
        transcriber = speech.ready(audio, offset, heard)
        if transcriber is None:
            return None
        out += transcriber.transcribe(audio, offset, speech.decode_lang, regions)
    name = speech.transcriber.name if speech.transcriber else model
    lang = speech.decode_lang or ("en" if name.endswith(".en") else None)
    return [TextSegment("transcript", name, s.start, s.end, s.text,
                        extra={"words": [[w.word, round(w.start, 3), round(w.end, 3)] for w in s.words],
                               **({"lang": lang, "lang_from": speech.how} if lang else {})})
            for s in out]
