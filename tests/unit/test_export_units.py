"""Exports cannot be steered by what they carry: a title with a newline adds no EDL event."""

from __future__ import annotations

from cinesearch.search.export import export, one_line
from cinesearch.search.store import Movie


def _movie(title: str) -> Movie:
    return Movie(id="m", source="/films/evil\nname.mp4", content_hash="h", fingerprint="f", profile="fast",
                 duration=60.0, n_frames=1500, media={"fps": 25.0}, meta={}, title=title)


def test_control_characters_never_reach_an_edl_line():
    title = "Innocent\n002  AX       V     C        00:00:00:00 00:00:10:00 00:00:00:00 00:00:10:00\r\nFCM: DROP"
    answer = {"query": {"text": "a\nquery"}, "results": [
        {"movie_id": "m", "title": title, "start": 1.0, "end": 3.0, "score": 0.9, "shots": [0, 1], "why": []}]}
    edl = export(answer, {"m": _movie(title)}, "edl")
    events = [ln for ln in edl.splitlines() if ln[:3].isdigit()]
    assert len(events) == 1, edl
    assert not any(ln.startswith("FCM: DROP") for ln in edl.splitlines()), edl
    assert one_line("a\tb\u2028c\x00d") == "a b c d"
