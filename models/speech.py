"""Speech to timed text with faster-whisper (CTranslate2) and a packaged Whisper model, with
voice-activity detection (silences cost nothing) and word timestamps.

Speech regions found by the VAD are decoded in batches (faster-whisper's batched pipeline): on 2
cores that transcribed a minute of continuous speech in 1.2 s instead of 8.5 s, with the same word
times to ±0.1 s. The batched pipeline returns ~30 s chunks, so segments are re-cut at sentence ends
from the word times (`sentence_segments`), which is the granularity search wants."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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

    def detect(self, audio: np.ndarray) -> tuple[str, float, list[tuple[str, float]]]:
        return self._model.detect_language(audio=audio)

    def __call__(self, media: Path, stream: int | None = None, language: str | None = None) -> list[SpeechSegment]:
        """All the speech of audio stream `stream` (container index; None: the first), chunk by
        chunk (`audio_chunks`): a 2-hour film's audio as one array is half a GiB of float32 before
        the VAD and the features copy it."""
        out: list[SpeechSegment] = []
        for offset, audio in audio_chunks(media, stream=stream):
            out += self.transcribe(audio, offset, language)
        return out

    def transcribe(self, audio: np.ndarray, offset: float, language: str | None,
                   regions: list[tuple[float, float]] | None = None) -> list[SpeechSegment]:
        """The speech of one chunk of audio starting at `offset` seconds: all its voiced parts, or
        only `regions` (movie seconds). Regions are packed into one array, a little silence
        between them, and transcribed as the VAD's own output is (merged into 30 s windows), so
        the cost is that of transcribing just that speech; times are mapped back to the movie."""
        where = [(0.0, offset, len(audio) / RATE)]
        options: dict[str, Any] = {"vad_filter": True}
        if regions is not None:   # already found by the caller's VAD: windows of them, not a second VAD
            audio, where = pack(audio, offset, regions)
            options = {"vad_filter": False, "clip_timestamps": windows(where)}
        segments, _info = self._batched.transcribe(
            audio, beam_size=self.beam_size, word_timestamps=True, batch_size=self.batch_size,
            language="en" if self.english_only else language, **options)

        def at(t: float) -> float:
            for packed, movie, length in reversed(where):
                if t >= packed:
                    return movie + min(t - packed, length)
            return where[0][1] + t

        out: list[SpeechSegment] = []
        for s in segments:
            if s.compression_ratio > MAX_COMPRESSION:   # "deux, deux, deux, ...": a decoding loop, not speech
                continue
            words = [Word(w.word.strip(), at(float(w.start)), at(float(w.end)))
                     for w in (s.words or []) if w.word.strip()]
            if words:
                out.extend(sentence_segments(words))
            elif s.text.strip():
                out.append(SpeechSegment(at(float(s.start)), at(float(s.end)), s.text.strip()))
        return out


# Whisper's own test for a decoding loop (gzip compression ratio of the text); the batched pipeline
# has no temperature fallback, so such a segment is dropped rather than decoded again
MAX_COMPRESSION = 2.4
GAP = 0.5   # seconds of silence between packed regions: the VAD splits there, no word runs across


def pack(audio: np.ndarray, offset: float, regions: list[tuple[float, float]]
         ) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """Only `regions` (movie seconds) of a chunk, joined with GAP of silence between them, and
    where each lies: (seconds into the packed array, movie seconds, length)."""
    parts, where, at = [], [], 0.0
    silence = np.zeros(int(GAP * RATE), np.float32)
    for a, b in regions:
        piece = audio[max(0, int((a - offset) * RATE)):max(0, int((b - offset) * RATE))]
        if not len(piece):
            continue
        where.append((at, a, len(piece) / RATE))
        parts += [piece, silence]
        at += len(piece) / RATE + GAP
    return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), where or [(0.0, offset, 0.0)]


def windows(where: list[tuple[float, float, float]], seconds: float = 30.0) -> list[dict[str, float]]:
    """Packed regions grouped into Whisper windows of at most `seconds` (as the batched pipeline
    groups its VAD's output), in seconds of the packed array."""
    out: list[dict[str, float]] = []
    for packed, _movie, length in where:
        if out and packed + length - out[-1]["start"] <= seconds:
            out[-1]["end"] = packed + length
        else:
            out.append({"start": packed, "end": packed + length})
    return out


def voiced(audio: np.ndarray, offset: float = 0.0) -> list[tuple[float, float]]:
    """The voiced regions of `audio` in seconds from `offset` (Silero VAD, as faster-whisper's
    batched pipeline runs it: at most 30 s each)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(audio, VadOptions(max_speech_duration_s=30, min_silence_duration_ms=160))
    return [(offset + v["start"] / RATE, offset + v["end"] / RATE) for v in found]


def clip(audio: np.ndarray, offset: float, regions: list[tuple[float, float]], seconds: float = 30.0) -> np.ndarray:
    """The first `seconds` of the audio in `regions` (movie seconds), joined: what language
    detection listens to."""
    parts = [audio[max(0, int((a - offset) * RATE)):max(0, int((b - offset) * RATE))] for a, b in regions]
    joined = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return joined[: int(seconds * RATE)]


RATE = 16_000        # Whisper's sample rate
CHUNK_SECONDS = 600  # audio transcribed at once (38 MB of float32)
SEARCH_SECONDS = 20  # how far around a chunk's end the quietest moment is looked for


def audio_pieces(media: Path, rate: int = RATE, stream: int | None = None,
                 limit: float | None = None) -> Iterator[np.ndarray]:
    """Audio stream `stream` (container index; None: the first) as mono float32 at `rate`, piece
    by piece, decoded and resampled as faster-whisper's decode_audio does (s16 mono through
    libswresample, frames grouped by 500k samples), so a short film gives the very samples it
    gave; undecodable frames are skipped. `limit`: stop after about that many seconds."""
    import av

    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=rate)
    fifo = av.audio.fifo.AudioFifo()

    def out(frame: av.AudioFrame | None) -> Iterator[np.ndarray]:
        for piece in resampler.resample(frame):
            yield piece.to_ndarray().reshape(-1).astype(np.float32) / 32768.0

    with av.open(str(media), mode="r", metadata_errors="ignore") as container:
        chosen = next((s for s in container.streams.audio if s.index == stream), None) if stream is not None else None
        frames = container.decode(chosen) if chosen is not None else container.decode(audio=0)
        seen = 0
        while True:
            if limit is not None and seen >= limit * rate:
                break
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.error.InvalidDataError:
                continue
            frame.pts = None
            seen += int(frame.samples * rate / (frame.sample_rate or rate))
            fifo.write(frame)
            if fifo.samples >= 500_000:
                yield from out(fifo.read())
        if fifo.samples > 0:
            yield from out(fifo.read())
        yield from out(None)   # flush the resampler


def quiet_cut(audio: np.ndarray, target: int, search: int, window: int) -> int:
    """Where to end a chunk: the start of the quietest `window` samples within `search` of
    `target` (a cut there splits no word), or `target` when the audio is too short to look."""
    lo, hi = max(0, target - search), min(len(audio) - window, target + search)
    if hi <= lo or window <= 0:
        return min(target, len(audio))
    energy = np.convolve(np.square(audio[lo:hi + window], dtype=np.float64), np.ones(window), mode="valid")
    return lo + int(np.argmin(energy))


def audio_chunks(media: Path, seconds: float = CHUNK_SECONDS, search: float = SEARCH_SECONDS,
                 rate: int = RATE, stream: int | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(offset in seconds, samples) chunks of about `seconds`, each ended at a quiet moment, so
    memory stays bounded for any length of film. A film shorter than one chunk is one chunk."""
    size, reach, window = int(seconds * rate), int(search * rate), rate // 2
    pieces: list[np.ndarray] = []
    held = offset = 0
    for piece in audio_pieces(media, rate, stream):
        pieces.append(piece)
        held += len(piece)
        if held >= size + reach + window:
            audio = np.concatenate(pieces)
            cut = quiet_cut(audio, size, reach, window)
            yield offset / rate, audio[:cut]
            offset += cut
            pieces, held = [audio[cut:]], len(audio) - cut
    if held:
        yield offset / rate, np.concatenate(pieces)


def load_transcriber(name: str, beam_size: int) -> Transcriber:
    folder = resolve(name)
    try:
        return Transcriber(name, folder, beam_size)
    except ImportError as exc:
        raise ModelUnavailable(f"{name} needs faster-whisper ({exc}); pip install faster-whisper==1.2.1") from exc
