"""Property-based fuzzing (Hypothesis, derandomized: the same examples every run) of everything a
user or a file can hand the parsers: movie.json, subtitle files (SRT, WebVTT, ASS), NFO files,
sidecar names, language tags and queries. Each either parses or raises the one error that
becomes exit 2 / HTTP 400 (InputError, QueryError); anything else would be an exit 1."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cinesearch.indexer.errors import InputError
from cinesearch.indexer.languages import guess_language, language, parse_preference
from cinesearch.indexer.library_import import title_year
from cinesearch.indexer.movie_spec import load_folder
from cinesearch.indexer.nfo import parse_nfo
from cinesearch.indexer.subtitle_sources import name_flags
from cinesearch.indexer.subtitles import ass_text, parse_subtitles
from cinesearch.search.query import QueryError, keywords, parse_query


def _parsed(parse, path: Path, pieces: list[str], junk: bytes):
    """`parse` of a file made of `pieces` and `junk`: its result, or None when it raised the
    InputError that names the file (anything else fails the test)."""
    path.write_bytes("".join(pieces).encode("utf-8", "surrogatepass") + junk)
    try:
        return parse(path)
    except InputError as exc:
        assert str(path) in str(exc)
        return None


FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False)
                    | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=12)
FIELDS = ["id", "title", "year", "release_date", "genres", "keywords", "rating", "plot", "synopsis", "video",
          "subtitles", "audio_description", "script", "cast"]
NAMES = st.sampled_from(["v.mp4", "../v.mp4", "/etc/passwd", "subs.srt", "", "portrait.jpg", "nope.srt", ".",
                         "/proc/self/environ", "a/../../b"])
CAST = st.lists(st.fixed_dictionaries({}, optional={"character": st.text(max_size=20) | JSON,
                                                    "actor": st.text(max_size=20) | JSON, "portrait": NAMES | JSON}),
                max_size=3)


@FUZZ
@given(meta=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8),
                            JSON | NAMES | CAST | st.lists(NAMES, max_size=3), max_size=6))
def test_movie_json_either_validates_or_names_its_bad_field(tmp_path_factory, meta):
    folder = tmp_path_factory.mktemp("m")
    (folder / "v.mp4").write_bytes(b"")
    (folder / "subs.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    (folder / "movie.json").write_text(json.dumps(meta))
    try:
        spec = load_folder(folder)
    except InputError as exc:
        assert str(folder) in str(exc)
        return
    for path in spec.side_files():
        assert path.resolve().is_relative_to(folder.resolve())


@FUZZ
@given(data=st.binary(max_size=600))
def test_movie_json_bytes_never_crash(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("m")
    (folder / "v.mp4").write_bytes(b"")
    (folder / "movie.json").write_bytes(data)
    with contextlib.suppress(InputError):
        load_folder(folder)


TIME = st.builds(lambda h, m, s, ms: f"{h:02d}:{m:02d}:{s:02d},{ms:03d}", st.integers(0, 99), st.integers(0, 99),
                 st.integers(0, 99), st.integers(0, 9999))
SRT_PIECES = st.one_of(st.just("\n"), st.just("\n\n"), st.integers(-5, 10**6).map(str), TIME,
                       st.just(" --> "), st.text(max_size=30), st.just("WEBVTT\n\n"), st.just("[Script Info]\n"),
                       st.just("[Events]\nFormat: Layer, Start, End, Style, Text\n"),
                       st.just("Dialogue: 0,0:00:01.00,0:00:02.00,Default,{\\k20}hi\\N{\\p1}m 0 0{\\p0}\n"),
                       st.just("<i>"), st.just("{\\an8}"))


@FUZZ
@given(pieces=st.lists(SRT_PIECES, max_size=25), suffix=st.sampled_from([".srt", ".vtt", ".ass", ".ssa"]),
       junk=st.binary(max_size=40))
def test_subtitle_files_parse_or_say_why(tmp_path_factory, pieces, suffix, junk):
    cues = _parsed(parse_subtitles, tmp_path_factory.mktemp("s") / f"f{suffix}", pieces, junk)
    assert cues is None or (cues and all(c.end > c.start >= 0 and c.text for c in cues))


@FUZZ
@given(text=st.text(max_size=200))
def test_ass_text_always_returns_plain_text(text):
    out = ass_text(text)
    assert isinstance(out, str) and "\n" not in out


NFO_PIECES = st.one_of(st.sampled_from(["<movie>", "</movie>", "<title>", "</title>", "<actor><name>", "</name>",
                                        "<role>", "</role>", "<thumb>", "</thumb>", "</actor>", "<genre>", "</genre>",
                                        "<year>", "</year>", "<ratings><rating max='0'><value>", "</value></rating>"
                                        "</ratings>", "<!DOCTYPE movie [<!ENTITY x 'y'>]>", "&x;", "<?xml?>",
                                        "<![CDATA[", "]]>", "<uniqueid type='imdb'>", "</uniqueid>", "../../etc"]),
                       st.text(max_size=20))


@FUZZ
@given(pieces=st.lists(NFO_PIECES, max_size=30), junk=st.binary(max_size=30))
def test_nfo_files_parse_or_say_why(tmp_path_factory, pieces, junk):
    nfo = _parsed(parse_nfo, tmp_path_factory.mktemp("n") / "movie.nfo", pieces, junk)
    if nfo is None:
        return
    rating = nfo.meta.get("rating")
    assert rating is None or 0 <= rating <= 10
    assert all(a.name for a in nfo.actors)


@FUZZ
@given(stem=st.text(max_size=30), name=st.text(max_size=40), tag=st.text(max_size=12),
       texts=st.lists(st.text(max_size=60), max_size=5))
def test_names_and_tags_never_crash(stem, name, tag, texts):
    name_flags(stem, name)
    title_year(stem)
    language(tag)
    guess_language(texts)
    with contextlib.suppress(ValueError):
        parse_preference(tag)


QUERY = st.one_of(st.text(max_size=300),
                  st.lists(st.sampled_from(['tag:', 'cast:', 'movie:', 'shot:', '"', ' ', 'x', '.', '\x00', '\x1b',
                                            'tag:"a b"', '\ud7ff', 'word', '!', '\u2026']),
                           max_size=60).map("".join),
                  st.binary(max_size=100))


@FUZZ
@given(raw=QUERY, tags=st.lists(st.text(max_size=10), max_size=3))
def test_queries_parse_or_say_why(raw, tags):
    try:
        q = parse_query(raw, tags=tags)
    except QueryError as exc:
        assert str(exc)
        return
    assert q.text or q.tags or q.cast
    keywords(q.text)


def test_the_fuzz_corpus_paths_exist_for_the_movie_json_cases(tmp_path):
    """A sanity check that the fuzzed folders look like movie folders (so the cases reach
    validation, not just 'no video')."""
    (tmp_path / "v.mp4").write_bytes(b"")
    (tmp_path / "movie.json").write_text(json.dumps({"title": "ok"}))
    assert load_folder(tmp_path).video == Path(tmp_path / "v.mp4").resolve()
