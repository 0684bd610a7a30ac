"""Speech to timed text with faster-whisper (CTranslate2) and a packaged Whisper model, with
voice-activity detection (silences cost nothing) and word timestamps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models.device import torch_device
from models.registry import ModelUnavailable, resolve


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


class Transcriber:
    def __init__(self, name: str, folder: Path, beam_size: int, threads: int = 2):
        from faster_whisper import WhisperModel

        device = "cuda" if torch_device().startswith("cuda") else "cpu"
        self.name = name
        self.beam_size = beam_size
        self.english_only = name.endswith(".en")
        self._model = WhisperModel(str(folder), device=device, compute_type="int8" if device == "cpu" else "float16",
                                   cpu_threads=threads)

    def __call__(self, media: Path) -> list[SpeechSegment]:
        segments, _info = self._model.transcribe(
            str(media), beam_size=self.beam_size, vad_filter=True, word_timestamps=True,
            language="en" if self.english_only else None, condition_on_previous_text=False)
        out = []
        for s in segments:
            text = s.text.strip()
            if not text:
                continue
            words = [Word(w.word.strip(), float(w.start), float(w.end)) for w in (s.words or []) if w.word.strip()]
            out.append(SpeechSegment(float(s.start), float(s.end), text, words))
        return out


def load_transcriber(name: str, beam_size: int) -> Transcriber:
    folder = resolve(name)
    try:
        return Transcriber(name, folder, beam_size)
    except ImportError as exc:
        raise ModelUnavailable(f"{name} needs faster-whisper ({exc}); pip install faster-whisper==1.2.1") from exc
