"""The pure parts of reading a real library: language tags, sidecar names, NFO fields, layouts,
the speech left to transcribe, and which audio stream and model."""

from __future__ import annotations

from pathlib import Path

import pytest

from cinesearch.indexer.languages import guess_language, language, parse_preference, rank, wanted
from cinesearch.indexer.library_import import title_year
from cinesearch.indexer.library_scan import extra_base, is_extra_name, part_groups, scan
from cinesearch.indexer.media import StreamFact
from cinesearch.indexer.nfo import parse_nfo
from cinesearch.indexer.speech_gaps import audio_stream, merge, speech_model, uncovered
from cinesearch.indexer.subtitle_sources import SubtitleTrack, keep, name_flags
from cinesearch.indexer.subtitles import ass_text


@pytest.mark.parametrize("tag,code", [("eng", "en"), ("fre", "fr"), ("fra", "fr"), ("ger", "de"), ("pt-BR", "pt"),
                                      ("English", "en"), ("und", None), ("", None), (None, None), ("zzz", None)])
def test_language_tags_reduce_to_one_form(tag, code):
    assert language(tag) == code


def test_preference_order_and_what_is_kept():
    assert parse_preference(None) == ("en", "*")
    assert parse_preference("en, fr,en") == ("en", "fr")
    with pytest.raises(ValueError, match="'klingon'"):
        parse_preference("en,klingon")
    assert wanted("fr", ("en", "*")) and not wanted("fr", ("en", "de")) and wanted(None, ("en",))
    assert rank("en", ("en", "fr")) < rank("fr", ("en", "fr")) < rank(None, ("en", "fr")) < rank("de", ("en", "fr"))


def test_the_tracks_kept_fall_back_to_all_when_none_is_preferred():
    en, fr = SubtitleTrack(Path("a.srt"), lang="en"), SubtitleTrack(Path("b.srt"), lang="fr")
    assert keep([en, fr], ("en",)) == [en]
    assert keep([fr], ("en",)) == [fr]


@pytest.mark.parametrize("name,flags", [
    ("Film (2004).en.sdh.srt", ("en", False, True)),
    ("film (2004).FR.forced.ass", ("fr", True, False)),
    ("Film (2004).English.hi.srt", ("en", False, True)),
    ("Film (2004).srt", (None, False, False)),
    ("Film (2004).default.eng.vtt", ("en", False, False)),
    ("Film (2004) 2.srt", None),                       # another film's name
    ("Film (2004).en.txt", None),                      # not a subtitle file
])
def test_sidecar_names_give_language_and_flags(name, flags):
    assert name_flags("Film (2004)", name) == flags


def test_ass_text_drops_styling_karaoke_and_drawings():
    assert ass_text(r"{\k20}Bon{\k30}jour {\i1}mes{\i0} amis\Nencore{\p1}m 0 0 l 10 0{\p0} fin") == \
        "Bonjour mes amis encore fin"


def test_untagged_text_gets_its_language_guessed_only_when_clear():
    assert guess_language(["Le chat est dans la maison et nous sommes là."]) == "fr"
    assert guess_language(["The cat is in the house and we are here."]) == "en"
    assert guess_language(["Okay."]) is None


@pytest.mark.parametrize("stem,out", [("Big Buck Bunny (2008)", ("Big Buck Bunny", 2008)),
                                      ("The.Matrix.[1999]", ("The Matrix", 1999)),
                                      ("Home movie", ("Home movie", None))])
def test_title_and_year_from_names(stem, out):
    assert title_year(stem) == out


def test_nfo_fields_and_ratings_on_a_ten_point_scale(tmp_path):
    nfo = tmp_path / "movie.nfo"
    nfo.write_text("<movie><title>A</title><genre>Drama / Crime</genre><genre>Drama</genre><year>1999</year>"
                   "<ratings><rating name='x' max='5'><value>4</value></rating></ratings>"
                   "<id>tt0133093</id><set><name>Saga</name></set>"
                   "<actor><name>B</name><order>1</order></actor><actor><name>C</name><role>Cee</role>"
                   "<order>0</order></actor></movie>")
    got = parse_nfo(nfo)
    assert got.meta["genres"] == ["Drama", "Crime"] and got.meta["rating"] == 8.0 and got.meta["year"] == 1999
    assert got.meta["ids"] == {"imdb": "tt0133093"} and got.meta["collection"] == "Saga"
    assert [(a.name, a.role) for a in got.actors] == [("C", "Cee"), ("B", None)]


def test_extras_and_parts_are_told_from_films():
    assert is_extra_name(Path("Film (2004)-trailer.mkv")) and is_extra_name(Path("trailer.mp4"))
    assert not is_extra_name(Path("Trailer Park Boys (2006).mkv"))
    assert extra_base(Path("Film (2004)-trailer.mkv")) == "film (2004)"
    parts = part_groups([Path("Epic cd1.avi"), Path("Epic cd2.avi"), Path("Epic part 1 of life.avi"),
                         Path("Solo-part1.mkv")])
    assert parts == {"epic": [Path("Epic cd1.avi"), Path("Epic cd2.avi")]}


def test_layouts_one_folder_per_film_and_loose_films(tmp_path):
    def touch(rel: str) -> None:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")

    for rel in ("A (2001)/A (2001).mkv", "A (2001)/movie.nfo", "A (2001)/poster.jpg", "A (2001)/trailers/t.mp4",
                "A (2001)/.actors/X_Y.jpg", "B.mp4", "B.nfo", "B-poster.png", "B-trailer.mp4", "C.mp4", "poster.jpg"):
        touch(rel)
    found = {f.video.name: f for f in scan(tmp_path)}
    assert set(found) == {"A (2001).mkv", "B.mp4", "C.mp4"}
    a, b, c = found["A (2001).mkv"], found["B.mp4"], found["C.mp4"]
    assert a.own_folder and a.nfo and a.nfo.name == "movie.nfo" and a.poster and a.poster.name == "poster.jpg"
    assert a.trailers == [tmp_path / "A (2001)" / "trailers" / "t.mp4"] and a.actors_dir is not None
    assert not b.own_folder and b.nfo and b.nfo.name == "B.nfo" and b.poster and b.poster.name == "B-poster.png"
    assert b.trailers == [tmp_path / "B-trailer.mp4"]
    assert c.nfo is None and c.poster is None and c.trailers == []     # the root's poster.jpg is no one's


def test_only_speech_no_cue_covers_is_left_to_transcribe():
    assert merge([(3, 4), (0, 1), (0.5, 2)]) == [(0, 2), (3, 4)]
    assert uncovered([(0, 10), (12, 14)], [(2, 4), (12.2, 13.9)]) == [(0, 1.7), (4.3, 10)]
    assert uncovered([(0, 70)], []) == [(0, 30.0), (30.0, 60.0), (60.0, 70)]
    assert uncovered([(5, 6)], [(0, 100)]) == []


def test_the_audio_stream_and_model_follow_the_language():
    def st(i, lang, default=False, title=None):
        return StreamFact(i, "audio", "aac", lang, title, default)

    streams = [st(1, "fr", default=True), st(2, "en"), st(3, "en", title="Director's commentary")]
    assert audio_stream(streams, ("en", "*")).index == 2
    assert audio_stream(streams, ("fr",)).index == 1
    assert audio_stream([st(1, None), st(2, "de", default=True)], ("en", "*")).index == 2
    assert audio_stream([], ("en",)) is None
    assert speech_model("whisper-tiny.en", "en") == ("whisper-tiny.en", "en")
    assert speech_model("whisper-tiny.en", "fr") == ("whisper-base", "fr")
    assert speech_model("whisper-base", "de") == ("whisper-base", "de")
    assert speech_model("whisper-tiny.en", None) == ("whisper-tiny.en", None)


def test_bitmap_subtitle_streams_are_named_as_not_read_and_text_streams_are_tracks():
    from cinesearch.indexer.media import MediaInfo
    from cinesearch.indexer.subtitle_sources import embedded_tracks

    info = MediaInfo(Path("f.mkv"), "matroska", "h264", 640, 360, 25.0, 10.0, 0, True, 0.0, (
        StreamFact(2, "subtitle", "hdmv_pgs_subtitle", "de"), StreamFact(3, "subtitle", "subrip", "en", forced=True),
        StreamFact(4, "subtitle", "dvd_subtitle", None)))
    tracks, notes = embedded_tracks(Path("f.mkv"), info)
    assert [(t.stream, t.lang, t.forced) for t in tracks] == [(3, "en", True)]
    assert len(notes) == 2 and "stream 2 (hdmv_pgs_subtitle, de) holds pictures" in notes[0]
    assert "stream 4 (dvd_subtitle, language unknown)" in notes[1]


def test_cues_past_the_film_are_dropped_and_a_flood_of_cues_is_refused():
    from cinesearch.indexer.errors import InputError
    from cinesearch.indexer.subtitle_sources import within
    from cinesearch.indexer.subtitles import Cue

    cues = [Cue(1.0, 2.0, "in"), Cue(10.5, 11.0, "just after the end"), Cue(30.0, 31.0, "another cut")]
    assert [c.text for c in within(cues, 10.0, 100, "x.srt")] == ["in", "just after the end"]
    flood = [Cue(i / 5000, i / 5000 + 0.1, "spam") for i in range(20_000)]
    with pytest.raises(InputError, match="20,000 subtitle cues for 4 s of video"):
        within(flood, 4.0, 2_000, "x.srt")
