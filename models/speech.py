"""Speech to timed text with faster-whisper (CTranslate2) and a packaged Whisper model, with
voice-activity detection (silences cost nothing) and word timestamps.

Speech regions found by the VAD are decoded in batches (faster-whisper's batched pipeline): on 2
cores that transcribed a minute of continuous speech in 1.2 s instead of 8.5 s, with the same word
times to ±0.1 s. The batched pipeline returns ~30 s chunks, so segments are re-cut at sentence ends
from the word times (`sentence_segments`), which is the granularity search wants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cinesearch.models.device import on_gpu
from cinesearch.models.registry import ModelUnavailable, resolve


@dataclass
class Word:
    word: str
    start: float
    end: float


@dataclass
class SpeechSegment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


_SENTENCE_END = (".", "?", "!", "…")


def sentence_segments(words: list[Word], max_gap: float = 1.5, max_seconds: float = 15.0) -> list[SpeechSegment]:
    """Cut a run of timed words into segments at sentence ends, at pauses longer than `max_gap`,
    and before a segment grows past `max_seconds` (a speaker who never stops still gets clips)."""
    out: list[SpeechSegment] = []
    cur: list[Word] = []

    def flush() -> None:
        if cur:
            out.append(SpeechSegment(cur[0].start, cur[-1].end, " ".join(w.word for w in cur), list(cur)))
            cur.clear()

    for w in words:
        if cur and (w.start - cur[-1].end > max_gap or w.end - cur[0].start > max_seconds):
            flush()
        cur.append(w)
        if w.word.endswith(_SENTENCE_END):
            flush()
    flush()
    return out


def whisper_runtime(cuda: bool) -> tuple[str, str, int]:
    """(device, compute type, batch size) for CTranslate2: float16 in batches of 16 on a GPU,
    int8 in batches of 8 on a CPU."""
    return ("cuda", "float16", 16) if cuda else ("cpu", "int8", 8)


class Transcriber:
    def __init__(self, name: str, folder: Path, beam_size: int, threads: int = 1):
        # One CPU thread: the indexer runs speech beside the decoder, and two threads each there
        # measured slower on 2 cores (7.7 s vs 6.3 s for a fully spoken 60 s 720p film).
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        device, compute_type, self.batch_size = whisper_runtime(on_gpu())
        self.name = name
        self.beam_size = beam_size
        self.english_only = name.endswith(".en")
        self._model = WhisperModel(str(folder), device=device, compute_type=compute_type, cpu_threads=threads)
        self._batched = BatchedInferencePipeline(model=self._model)

    def __call__(self, media: Path) -> list[SpeechSegment]:
        segments, _info = self._batched.transcribe(
            str(media), beam_size=self.beam_size, vad_filter=True, word_timestamps=True,
            language="en" if self.english_only else None, batch_size=self.batch_size)
        out: list[SpeechSegment] = []
        for s in segments:
            words = [Word(w.word.strip(), float(w.start), float(w.end)) for w in (s.words or []) if w.word.strip()]
            if words:
                out.extend(sentence_segments(words))
            elif s.text.strip():
                out.append(SpeechSegment(float(s.start), float(s.end), s.text.strip()))
        return out


def load_transcriber(name: str, beam_size: int) -> Transcriber:
    folder = resolve(name)
    try:
        return Transcriber(name, folder, beam_size)
    except ImportError as exc:
        raise ModelUnavailable(f"{name} needs faster-whisper ({exc}); pip install faster-whisper==1.2.1") from exc
