"""The speech layer: a Whisper transcript with word times and its language, of the speech that
no kept subtitle cue covers (all of it when the movie has no subtitles). It needs only the audio,
so it runs on its own thread beside the picture layers (CTranslate2 and FFmpeg release the GIL).
Output: list[TextSegment] of kind "transcript"."""

from __future__ import annotations

from typing import Any

from cinesearch.indexer.layers.base import Layer, MovieRun, available, digest
from cinesearch.indexer.speech import transcribe
from cinesearch.indexer.speech_gaps import audio_stream, merge
from cinesearch.models.registry import optional, resolve
from cinesearch.search.store import TextSegment


def covered(run: MovieRun) -> list[tuple[float, float]]:
    """The spans the kept subtitle cues cover (descriptions describe the picture, not speech)."""
    return merge([(t.start, t.end) for t in run.cues if t.kind == "subtitle" and t.start is not None
                  and t.end is not None])


class SpeechLayer(Layer):
    name = "speech"
    version = "3"
    concurrent = True

    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        stream = audio_stream(run.info.streams, run.languages)
        spans = digest("covered", *(f"{a:.2f}-{b:.2f}" for a, b in covered(run)))
        return (run.video_hash, run.profile.speech_model, run.profile.speech_beam, spans,
                stream.index if stream else None, stream.lang if stream else None, available("whisper-base"))

    def off(self, run: MovieRun) -> str | None:
        return None if available(run.profile.speech_model) else "off"

    def when_off(self, run: MovieRun) -> list[TextSegment]:
        if self.off(run) == "off":   # says once which speech model is missing and how to supply it
            model = run.profile.speech_model
            optional(f"{model}:weights", lambda: resolve(model))
        return []

    def skip(self, run: MovieRun) -> str | None:
        return None if run.info.has_audio else "skipped (no audio)"

    def run(self, run: MovieRun) -> list[TextSegment] | None:
        return transcribe(run.spec.video, run.profile.speech_model, run.profile.speech_beam,
                          audio_stream(run.info.streams, run.languages), covered(run))

    def reuse(self, run: MovieRun) -> list[TextSegment]:
        return [TextSegment(t.kind, t.source, t.start, t.end, t.text, extra=t.extra)
                for t in run.old_texts if t.kind == "transcript"]

    def load(self, saved: Any, run: MovieRun) -> list[TextSegment]:
        return [TextSegment(**t) for t in saved]

    def dump(self, value: list[TextSegment]) -> Any:
        return [{"kind": t.kind, "source": t.source, "start": t.start, "end": t.end, "text": t.text,
                 "extra": t.extra} for t in value]
