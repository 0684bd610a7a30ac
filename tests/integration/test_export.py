"""Results as editorial selects: a CMX 3600 EDL and an OpenTimelineIO file that an NLE (and
OpenTimelineIO itself) reads back to the same clips, frame-accurate in each movie's own frame rate,
and a CSV that a spreadsheet cannot turn into formulas. Then the same through the CLI, the API and
the page, on the real films."""

from __future__ import annotations

import csv
import io

import opentimelineio as otio
import pytest

from cinesearch.search.export import ExportError, export, format_for, title_of
from cinesearch.search.store import Movie


def _movie(mid: str, fps: float, source: str) -> Movie:
    return Movie(id=mid, source=source, content_hash="h", fingerprint="f", profile="fast", duration=60.0,
                 n_frames=int(60 * fps), media={"fps": fps}, meta={}, title=mid.title())


MOVIES = {"a": _movie("a", 25.0, "/films/a.mp4"), "b": _movie("b", 30.0, "/films/b.mkv")}
ANSWER = {"query": {"text": "a dog waits", "tags": [], "cast": []}, "results": [
    {"movie_id": "a", "title": "A", "start": 7.48, "end": 9.68, "score": 0.9, "shots": [4, 4],
     "why": [{"modality": "bm25", "kind": "subtitle", "text": "=HYPERLINK(\"http://x\")", "score": 1.0}]},
    {"movie_id": "b", "title": "=1+2", "start": 1.0, "end": 2.5, "score": 0.5, "shots": [1, 2],
     "why": [{"modality": "appearance", "score": 0.7, "shows": "objects: a dog"}]},
]}


def test_edl_reads_back_to_the_same_clips_frame_accurately():
    edl = export(ANSWER, MOVIES, "edl", title_of(ANSWER))
    assert edl.startswith("TITLE: cinesearch: a dog waits")
    a, b = otio.adapters.read_from_string(edl, "cmx_3600", rate=25).find_clips()   # the first result's rate
    assert (a.source_range.start_time.value, a.source_range.duration.value) == (187, 55)     # 7.48 s, 2.2 s at 25
    assert abs(b.source_range.start_time.to_seconds() - 1.0) <= 1 / 25                 # a 30 fps movie, in 25 fps TC
    assert abs(b.source_range.end_time_exclusive().to_seconds() - 2.5) <= 1 / 25
    assert a.media_reference.target_url == "file:///films/a.mp4"
    assert b.media_reference.target_url == "file:///films/b.mkv"
    thirty = export({"results": ANSWER["results"][1:]}, MOVIES, "edl", "t")
    assert "00:00:01:00 00:00:02:15" in thirty                                        # alone, b keeps its 30 fps


def test_otio_keeps_rates_files_and_why():
    timeline = otio.adapters.read_from_string(export(ANSWER, MOVIES, "otio", "t"), "otio_json")
    a, b = timeline.find_clips()
    assert a.source_range.start_time == otio.opentime.RationalTime(187, 25)
    assert b.source_range == otio.opentime.TimeRange(otio.opentime.RationalTime(30, 30),
                                                     otio.opentime.RationalTime(45, 30))
    assert b.metadata["cinesearch"]["why"] == "appearance: objects: a dog"
    assert a.name.startswith("01 ") and b.name.startswith("02 ")


def test_csv_rows_and_no_formulas():
    rows = list(csv.reader(io.StringIO(export(ANSWER, MOVIES, "csv", "t"))))
    assert rows[0][:5] == ["rank", "movie_id", "title", "start", "end"]
    assert rows[1][:5] == ["1", "a", "A", "7.480", "9.680"] and rows[1][8] == "/films/a.mp4"
    assert rows[1][9] == 'bm25: =HYPERLINK("http://x")'
    assert rows[2][2] == "'=1+2"                  # a title from movie.json does not become a formula


def test_unknown_formats_are_refused():
    for name in ("x.mov", "pdf", ""):
        with pytest.raises(ExportError, match="unknown export format"):
            format_for(name)
    assert format_for("Selects.EDL") == "edl"


# -- through the CLI, the API and the page, on the real films ---------------------------------------
QUERY = "someone asks for the umbrella to be taken to the railway station"


def test_cli_export_matches_the_printed_results(web_library, cli, tmp_path):
    out = tmp_path / "selects.edl"
    result = cli("search", QUERY, "--limit", "3", "--json", "--export", str(out), library=web_library)
    assert result.code == 0, result.err
    results = result.json()["results"]
    clips = otio.adapters.read_from_string(out.read_text(), "cmx_3600", rate=25).find_clips()
    assert len(clips) == len(results)
    fps = 25                                                     # the test films are made at 25 fps
    for clip, r in zip(clips, results, strict=True):
        assert abs(clip.source_range.start_time.value - r["start"] * fps) <= 1
        assert abs(clip.source_range.end_time_exclusive().value - r["end"] * fps) <= 1
        assert clip.media_reference.target_url.endswith((".mp4",))
    bad = cli("search", QUERY, "--export", str(tmp_path / "x.mov"), library=web_library)
    assert bad.code == 2 and "unknown export format" in bad.err and not (tmp_path / "x.mov").exists()
    similar = cli("similar", "story", "0", "--limit", "2", "--export", str(tmp_path / "like.csv"), library=web_library)
    assert similar.code == 0 and len((tmp_path / "like.csv").read_text().splitlines()) == 3


def test_api_and_page_offer_the_same_answer_as_selects(web_library):
    from cinesearch.web.app import create_app

    client = create_app({"LIBRARY": str(web_library), "TESTING": True}).test_client()
    answer = client.get("/api/search", query_string={"q": QUERY, "limit": 3}).json
    r = client.get("/api/search", query_string={"q": QUERY, "limit": 3, "format": "otio"})
    assert r.status_code == 200 and 'filename="cinesearch-selects.otio"' in r.headers["Content-Disposition"]
    clips = otio.adapters.read_from_string(r.get_data(as_text=True), "otio_json").find_clips()
    assert [c.metadata["cinesearch"]["movie_id"] for c in clips] == [x["movie_id"] for x in answer["results"]]
    upper = client.get("/api/search", query_string={"q": QUERY, "limit": 3, "format": "EDL"})
    assert upper.status_code == 200 and upper.mimetype == "text/plain"       # the format word in any case
    assert upper.get_data(as_text=True).startswith("TITLE:")
    bad = client.get("/api/search", query_string={"q": QUERY, "format": "pdf"})
    assert bad.status_code == 400 and "unknown export format" in bad.json["error"]
    like = client.get("/api/movies/story/shots/0/similar", query_string={"format": "csv", "limit": 2})
    assert like.status_code == 200 and like.mimetype == "text/csv"
    page = client.get("/", query_string={"q": QUERY}).get_data(as_text=True)
    assert "format=edl" in page and "format=otio" in page and "format=csv" in page
