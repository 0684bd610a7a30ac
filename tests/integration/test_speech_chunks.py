"""Long films' audio is transcribed in chunks (bounded memory): the chunks are the very samples
faster-whisper decodes for the whole file, cut at quiet moments, with offsets that add up."""

from __future__ import annotations

import numpy as np
from faster_whisper.audio import decode_audio

from cinesearch.models.speech import RATE, audio_chunks


def test_chunks_are_the_whole_audio_in_order(media):
    film = media("trailer_bbb.mp4")
    whole = decode_audio(str(film), sampling_rate=RATE)
    one = list(audio_chunks(film))
    assert len(one) == 1 and one[0][0] == 0.0 and np.array_equal(one[0][1], whole)   # a short film: one chunk
    small = list(audio_chunks(film, seconds=15, search=2))
    assert len(small) >= 3
    assert np.array_equal(np.concatenate([c for _, c in small]), whole)
    done = 0
    for offset, chunk in small:
        assert offset == done / RATE
        done += len(chunk)
    assert all(12 * RATE <= len(c) <= 18 * RATE for _, c in small[:-1])


def test_a_film_without_speech_loads_no_speech_model(media, monkeypatch):
    """The trailer's untagged audio is music and effects: the VAD hears no speech, so no language
    is guessed from it and no Whisper model is loaded (it used to detect a language on silence)."""
    from cinesearch.indexer import speech

    asked: list[str] = []
    monkeypatch.setattr(speech.models, "transcriber", lambda name, beam: asked.append(name))
    assert speech.transcribe(media("trailer_bbb.mp4"), "tiny.en", 1) == []
    assert asked == []
