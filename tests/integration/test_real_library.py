"""A library kept as Kodi/Jellyfin keep it (tests/library_builder.py: an MKV with two embedded
subtitle streams, a sidecar, an NFO, actor photos, a poster and a trailer; an MP4 with a mov_text
track over only some of its spoken lines; a loose film with its own NFO and SRT), indexed with
no movie.json anywhere, then searched as a user would."""

from __future__ import annotations

import library_builder as lb
import movie_builder as mb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    from conftest import run_cli

    root = lb.kodi_library(tmp_path_factory.mktemp("kodi") / "Movies")
    lib = tmp_path_factory.mktemp("kodi-lib")
    result = run_cli("index", str(root), "--no-progress", "--json", library=lib)
    assert result.code == 0, result.err
    return root, lib, result.json()


def _top(cli, lib, *args):
    res = cli("search", *args, "--json", library=lib)
    assert res.code == 0, res.err
    return res.json()["results"]


def test_exactly_three_movies_with_the_trailer_linked_to_its_film_and_not_listed(indexed, cli):
    _root, lib, out = indexed
    assert sorted(m["id"] for m in out["movies"]) == ["bikes-2005", "harbour-2011", "summit-2009"]
    assert out["errors"] == [] and all(m["skipped"] == [] for m in out["movies"])
    movies = {m["id"]: m for m in cli("movies", "--json", library=lib).json()}
    assert set(movies) == {"bikes-2005", "harbour-2011", "summit-2009"}
    assert movies["summit-2009"]["meta"]["trailers"] == ["trailers/Summit (2009)-trailer.mp4"]


@pytest.mark.parametrize("line,movie,lang,source", [
    (lb.A_SRT_LINE, "summit-2009", "en", "Summit (2009).mkv#1 (srt)"),           # embedded SubRip
    (lb.A_ASS_LINE, "summit-2009", "fr", "Summit (2009).mkv#2 (ssa)"),           # embedded ASS, karaoke tags
    (lb.A_SDH_LINE, "summit-2009", "en", "Summit (2009).en.sdh.srt"),            # sidecar, flags from its name
    (lb.B_LINES[0][1], "harbour-2011", "en", "Harbour (2011).mp4#2 (mov_text)"),  # embedded mov_text
    (lb.C_LINE, "bikes-2005", "en", "Bikes (2005).srt"),                         # loose film's sidecar (guessed)
])
def test_a_line_from_each_subtitle_source_is_found_first_with_its_language(indexed, cli, line, movie, lang, source):
    _root, lib, _ = indexed
    top = _top(cli, lib, line)[0]
    assert top["movie_id"] == movie and top["strong"], top
    said = [w for w in top["why"] if w.get("kind") == "subtitle" and w.get("text") == line]
    assert said, top["why"]
    assert said[0]["lang"] == lang and said[0]["source"] == source
    if source.endswith(".sdh.srt"):
        assert said[0]["sdh"] is True


def test_the_french_stream_keeps_its_words_and_is_not_embedded_as_english(indexed):
    _root, lib, _ = indexed
    from cinesearch.search.store import open_store

    store = open_store(lib)
    try:
        texts = [t for t in store.get_texts("summit-2009", vectors=True) if t.kind == "subtitle"]
    finally:
        store.close()
    french = [t for t in texts if t.extra.get("lang") == "fr"]
    assert [t.text for t in french] == [lb.A_ASS_LINE]            # {\k40}, {\i1} stripped
    assert french[0].vector is None                               # MiniLM is English-only
    assert all(t.vector is not None for t in texts if t.extra.get("lang") == "en")


def test_an_nfo_role_name_finds_that_actors_shots(indexed, cli):
    _root, lib, _ = indexed
    hits = _top(cli, lib, "--cast", lb.A_ROLES["Obama"])
    spans = [(a, b) for a, b, who in mb.cast_spans() if who == "Obama"]
    assert hits and all(r["movie_id"] == "summit-2009" for r in hits)
    found = [(r["start"], r["end"]) for r in hits]
    for a, b in spans[:2]:     # the two clear, frontal Obama shots at least
        assert any(s < b and e > a for s, e in found), (found, spans)
    biden = [(a, b) for a, b, who in mb.cast_spans() if who == "Biden"]
    assert not any(s < biden[0][1] - 0.3 and e > biden[0][0] + 0.3 for s, e in found)


def test_an_nfo_tag_returns_shots_of_its_film(indexed, cli):
    _root, lib, _ = indexed
    hits = _top(cli, lib, "--tags", lb.A_TAGS[0])
    assert hits and hits[0]["movie_id"] == "summit-2009"
    assert all(r["end"] - r["start"] < 10 for r in hits[:3])      # shots, not the whole movie


def test_an_unsubtitled_spoken_line_is_found_through_the_transcript_and_covered_ones_are_not_transcribed(indexed,
                                                                                                           cli):
    _root, lib, out = indexed
    start, line, _ = lb.B_LINES[1]
    top = _top(cli, lib, line)[0]
    assert top["movie_id"] == "harbour-2011" and top["start"] <= start + 1 and top["end"] >= start + 2
    spoken = [w for w in top["why"] if w.get("kind") == "transcript"]
    assert spoken and spoken[0]["lang"] == "en" and spoken[0]["source"] == "whisper-tiny.en"
    shots = cli("shots", "harbour-2011", "--json", library=lib).json()
    transcript = [t for s in shots for t in s["texts"] if t["kind"] == "transcript"]
    assert transcript and all(t["start"] >= start - 0.5 and t["end"] <= start + 5 for t in transcript), transcript
    assert {m["id"]: m["stages"]["speech"] for m in out["movies"]}["harbour-2011"] == "ran"


def test_movies_json_shows_the_nfo_metadata_and_the_poster(indexed, cli):
    _root, lib, _ = indexed
    movie = {m["id"]: m for m in cli("movies", "--json", library=lib).json()}["summit-2009"]
    meta = movie["meta"]
    assert movie["title"] == "Summit" and movie["year"] == 2009
    assert meta["original_title"] == "Le Sommet" and meta["genres"] == lb.A_GENRES and meta["tags"] == lb.A_TAGS
    assert meta["rating"] == 7.1 and meta["ids"] == {"imdb": "tt0000001", "tmdb": "4242"}
    assert meta["release_date"] == "2009-06-01" and meta["plot"].startswith("Two leaders meet")
    assert [c["character"] for c in meta["cast"]] == [lb.A_ROLES["Obama"], lb.A_ROLES["Biden"]]
    assert meta["poster"] == "poster.jpg"
    from cinesearch.web.app import create_app

    client = create_app({"LIBRARY": str(lib), "TESTING": True}).test_client()
    page = client.get("/api/movies")
    assert page.status_code == 200
    api = {m["id"]: m for m in page.get_json()}["summit-2009"]
    poster = client.get(api["poster"])
    assert poster.status_code == 200 and poster.mimetype == "image/jpeg"
    assert poster.data == (_root / "Summit (2009)" / "poster.jpg").read_bytes()
    assert "harbour-2011" not in {m["id"] for m in page.get_json() if "poster" in m}
    html = client.get("/movie/summit-2009").get_data(as_text=True)
    assert api["poster"] in html
