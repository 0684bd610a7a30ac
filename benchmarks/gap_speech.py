"""Speech where no subtitle covers it: what indexing a partly subtitled film costs in speech
recognition, against transcribing only its uncovered speech and against transcribing all of it.

    python benchmarks/gap_speech.py [FILM] [--runs 5]

With no film it takes film B of the test library (tests/library_builder.py: three spoken lines,
a mov_text track over the first and the last). Models are loaded first (their load is a
per-process cost, printed apart); then, alternating, each run times:

  gaps       the indexer's call as it runs on this file: VAD over the film, the voiced regions no
             cue covers transcribed (and, when the audio stream is untagged, the language
             detected on that speech by the multilingual Whisper base)
  gaps-en    the same with the stream tagged English (no detection)
  uncovered  the bound the issue sets: read the film's audio, keep only the uncovered speech (known
             beforehand here, for free) and transcribe that (Whisper with its own VAD)
  all        Whisper over all the speech (what a film without subtitles costs)

and prints the median of each, and the peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("film", nargs="?", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import numpy as np

    from cinesearch import models
    from cinesearch.indexer.media import probe
    from cinesearch.indexer.speech import transcribe
    from cinesearch.indexer.speech_gaps import audio_stream, merge, uncovered
    from cinesearch.indexer.subtitle_sources import embedded_tracks, read_embedded
    from cinesearch.models.speech import RATE, audio_pieces

    if args.film is None:
        import library_builder

        args.film = library_builder.film_b()
    film = args.film
    info = probe(film)
    tracks, _ = embedded_tracks(film, info)
    cues, _ = read_embedded(film, tracks, info.start_time)
    covered = merge([(c.start, c.end) for stream in cues.values() for c in stream])
    stream = audio_stream(info.streams, ("en", "*"))
    index = stream.index if stream else None

    t = time.perf_counter()
    tiny = models.transcriber("whisper-tiny.en", 1)
    load_tiny = time.perf_counter() - t
    t = time.perf_counter()
    base = models.transcriber("whisper-base", 1)
    load_base = time.perf_counter() - t
    assert tiny is not None and base is not None

    from faster_whisper.vad import VadOptions, get_speech_timestamps

    audio = np.concatenate(list(audio_pieces(film, stream=index)))
    voiced = [(v["start"] / RATE, v["end"] / RATE) for v in
              get_speech_timestamps(audio, VadOptions(max_speech_duration_s=30, min_silence_duration_ms=160))]
    gaps = uncovered(voiced, covered)
    only = np.concatenate([audio[int(a * RATE):int(b * RATE)] for a, b in gaps]) if gaps else np.zeros(0, np.float32)
    spoken = sum(b - a for a, b in merge(voiced))
    print(f"{film.name}: {info.duration:.1f} s, {spoken:.1f} s voiced, {len(covered)} cues covering "
          f"{sum(b - a for a, b in covered):.1f} s, {sum(b - a for a, b in gaps):.1f} s of speech left in "
          f"{len(gaps)} region(s)")
    print(f"model load (once per process): tiny.en {load_tiny:.2f} s, base {load_base:.2f} s")

    import dataclasses

    tagged = dataclasses.replace(stream, lang="en") if stream else None

    def run_gaps() -> int:
        return len(transcribe(film, "whisper-tiny.en", 1, stream, covered) or [])

    def run_gaps_en() -> int:
        return len(transcribe(film, "whisper-tiny.en", 1, tagged, covered) or [])

    def run_uncovered() -> int:
        whole = np.concatenate(list(audio_pieces(film, stream=index)))
        speech = np.concatenate([whole[int(a * RATE):int(b * RATE)] for a, b in gaps]) if gaps else only
        segments, _ = tiny._batched.transcribe(speech, beam_size=1, vad_filter=True, word_timestamps=True,
                                               language="en", batch_size=tiny.batch_size)
        return len(list(segments))

    def run_all() -> int:
        return len(tiny(film, index, "en"))

    cases = {"gaps": run_gaps, "gaps-en": run_gaps_en, "uncovered": run_uncovered, "all": run_all}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for run in range(args.runs):
        order = list(cases) if run % 2 == 0 else list(reversed(cases))
        for name in order:
            t = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, value in med.items():
        print(f"{name:<10} median {value:6.3f} s  (runs: {', '.join(f'{x:.3f}' for x in times[name])})")
    print(f"gaps-en / uncovered = {med['gaps-en'] / med['uncovered']:.2f}; gaps / uncovered = "
          f"{med['gaps'] / med['uncovered']:.2f}; gaps-en / all = {med['gaps-en'] / med['all']:.2f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
