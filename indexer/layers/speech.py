"""The speech layer: a movie without subtitles gets a Whisper transcript with word times. It needs
only the audio, so it runs on its own thread beside the picture layers (CTranslate2 and FFmpeg
release the GIL). Output: list[TextSegment] of kind "transcript"."""

from __future__ import annotations

from typing import Any

from cinesearch.indexer.layers.base import Layer, MovieRun, available
from cinesearch.indexer.speech import transcribe
from cinesearch.models.registry import optional, resolve
from cinesearch.search.store import TextSegment


class SpeechLayer(Layer):
    name = "speech"
    version = "2"
    concurrent = True

    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        return (run.video_hash, run.profile.speech_model, run.profile.speech_beam)

    def off(self, run: MovieRun) -> str | None:
        if run.spec.subtitles:
            return "subtitled"
        return None if available(run.profile.speech_model) else "off"

    def when_off(self, run: MovieRun) -> list[TextSegment]:
        if self.off(run) == "off":   # says once which speech model is missing and how to supply it
            model = run.profile.speech_model
            optional(model, lambda: resolve(model))
        return []

    def stage(self, run: MovieRun) -> str | None:
        return "skipped (subtitles)" if self.off(run) == "subtitled" else None

    def skip(self, run: MovieRun) -> str | None:
        return None if run.info.has_audio else "skipped (no audio)"

    def run(self, run: MovieRun) -> list[TextSegment] | None:
        return transcribe(run.spec.video, run.profile.speech_model, run.profile.speech_beam)

    def reuse(self, run: MovieRun) -> list[TextSegment]:
        return [TextSegment(t.kind, t.source, t.start, t.end, t.text, extra=t.extra)
                for t in run.old_texts if t.kind == "transcript"]

    def load(self, saved: Any, run: MovieRun) -> list[TextSegment]:
        return [TextSegment(**t) for t in saved]

    def dump(self, value: list[TextSegment]) -> Any:
        return [{"kind": t.kind, "source": t.source, "start": t.start, "end": t.end, "text": t.text,
                 "extra": t.extra} for t in value]
