"""Bad side files in a real library: each gets one line that names the file. By default the rest
of the movie still indexes and the summary says what was skipped; with --strict the movie fails
(exit 2) and the library is byte for byte what it was."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import library_builder as lb
import pytest
from fixture_media import media as fixture

pytestmark = pytest.mark.slow

ACTOR_NFO = ('<movie><title>Bad</title><actor><name>Jane Doe</name><role>The Witness</role>{thumb}</actor>'
             '<tag>evidence</tag></movie>')
BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + ']><movie><title>&i;</title></movie>')
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE movie [<!ENTITY x SYSTEM "file:///etc/passwd">]><movie><title>&x;</title></movie>'


def _snapshot(library: Path) -> dict[str, str]:
    return {str(p.relative_to(library)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(library.rglob("*")) if p.is_file()}


def _latin1_stream_mkv(dest: Path) -> Path:
    """An MKV whose SubRip stream holds Latin-1 bytes (muxed without decoding): FFmpeg refuses it."""
    srt = dest.with_suffix(".srt.tmp")
    srt.write_bytes(b"1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9 cr\xe8me br\xfbl\xe9e\n\n")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(lb.film_c()), "-i", str(srt), "-map", "0:v", "-map", "1",
                    "-c", "copy", "-f", "matroska", str(dest)], check=True)
    srt.unlink()
    return dest


def _bad_movie(root: Path, case: str) -> tuple[Path, str, str]:
    """A movie folder with one bad side file: (folder, the file's name, what the line says)."""
    folder = root / "Bad (2020)"
    folder.mkdir(parents=True)
    if case == "unreadable-stream":
        _latin1_stream_mkv(folder / "Bad (2020).mkv")
        return folder, "Bad (2020).mkv", "subtitle stream 1 (srt) is unreadable"
    shutil.copyfile(lb.film_c(), folder / "Bad (2020).mp4")
    nfo = folder / "movie.nfo"
    if case == "malformed-nfo":
        nfo.write_text("<movie><title>Bad</title><plot>unclosed")
        return folder, "movie.nfo", "malformed NFO"
    if case == "entity-bomb":
        nfo.write_text(BOMB)
        return folder, "movie.nfo", "declares entities"
    if case == "external-entity":
        nfo.write_text(EXTERNAL)
        return folder, "movie.nfo", "declares entities or external references"
    if case == "thumb-not-an-image":
        nfo.write_text(ACTOR_NFO.format(thumb=""))
        (folder / ".actors").mkdir()
        (folder / ".actors" / "Jane_Doe.jpg").write_text("this is not a JPEG")
        return folder, "Jane_Doe.jpg", "not an image"
    if case == "thumb-outside-the-folder":
        nfo.write_text(ACTOR_NFO.format(thumb="<thumb>../../../etc/passwd</thumb>"))
        return folder, "movie.nfo", "leads outside the movie's folder"
    raise AssertionError(case)


CASES = ["malformed-nfo", "entity-bomb", "external-entity", "thumb-not-an-image", "thumb-outside-the-folder",
         "unreadable-stream"]


@pytest.fixture(scope="module")
def good_library(tmp_path_factory):
    """A library holding one good movie, copied for each test."""
    from conftest import run_cli

    lib = tmp_path_factory.mktemp("good") / "lib"
    res = run_cli("index", str(fixture("bikes.mp4")), "--no-progress", library=lib)
    assert res.code == 0, res.err
    return lib


@pytest.mark.parametrize("case", CASES)
def test_strict_refuses_the_movie_with_one_line_and_the_library_is_unchanged(tmp_path, cli, good_library, case):
    lib = tmp_path / "lib"
    shutil.copytree(good_library, lib)
    folder, name, says = _bad_movie(tmp_path / "in", case)
    before = _snapshot(lib)
    res = cli("index", str(folder), "--strict", "--no-progress", library=lib)
    assert res.code == 2, res.err
    errors = [ln for ln in res.err.splitlines() if ln.startswith("cinesearch: error:")]
    assert len(errors) == 1 and name in errors[0] and says in errors[0], res.err
    assert _snapshot(lib) == before


@pytest.mark.parametrize("case", CASES)
def test_by_default_the_rest_of_the_movie_indexes_and_the_skip_is_reported(tmp_path, cli, good_library, case):
    lib = tmp_path / "lib"
    shutil.copytree(good_library, lib)
    bikes_before = cli("shots", "bikes", "--json", library=lib).json()
    folder, name, says = _bad_movie(tmp_path / "in", case)
    res = cli("index", str(folder), "--no-progress", "--json", library=lib)
    assert res.code == 0, res.err
    movie = res.json()["movies"][0]
    assert movie["id"] == "bad-2020" and movie["shots"] >= 2
    assert len(movie["skipped"]) == 1 and name in movie["skipped"][0] and says in movie["skipped"][0], movie
    assert cli("shots", "bikes", "--json", library=lib).json() == bikes_before
    if case.startswith("thumb"):       # the actor is kept, by name, with the NFO's other fields
        meta = {m["id"]: m for m in cli("movies", "--json", library=lib).json()}["bad-2020"]["meta"]
        assert meta["cast"] == [{"character": "The Witness", "actor": "Jane Doe"}] and meta["tags"] == ["evidence"]
    human = cli("index", str(folder), "--no-progress", library=tmp_path / "lib2")
    assert any(ln.startswith("  skipped: ") and name in ln for ln in human.err.splitlines()), human.err


def test_a_film_in_parts_is_refused_naming_its_files_and_extras_are_not_films(tmp_path, cli):
    root = tmp_path / "Movies"
    (root / "Epic (1999)").mkdir(parents=True)
    for part in ("Epic (1999) cd1.mp4", "Epic (1999) cd2.mp4"):
        shutil.copyfile(lb.film_c(), root / "Epic (1999)" / part)
    (root / "Short (2001)" / "extras").mkdir(parents=True)
    shutil.copyfile(lb.film_c(), root / "Short (2001)" / "Short (2001).mp4")
    shutil.copyfile(lb.trailer(), root / "Short (2001)" / "Short (2001)-trailer.mp4")
    shutil.copyfile(lb.trailer(), root / "Short (2001)" / "extras" / "Making of.mp4")
    lib = tmp_path / "lib"
    res = cli("index", str(root), "--no-progress", "--json", library=lib)
    assert res.code == 2
    errors = res.json()["errors"]
    assert len(errors) == 1 and "Epic (1999) cd1.mp4, Epic (1999) cd2.mp4" in errors[0]["message"]
    assert [m["id"] for m in res.json()["movies"]] == ["short-2001"]
    meta = cli("movies", "--json", library=lib).json()[0]["meta"]
    assert meta["trailers"] == ["Short (2001)-trailer.mp4"]
    assert meta["extras"] == ["Short (2001)-trailer.mp4", "extras/Making of.mp4"]
    with_extras = cli("index", str(root / "Short (2001)"), "--extras", "--no-progress", "--json", library=lib)
    assert with_extras.code == 0, with_extras.err
    ids = {m["id"]: m for m in cli("movies", "--json", library=lib).json()}
    assert set(ids) == {"short-2001", "short-2001-short-2001-trailer", "short-2001-making-of"}
    assert ids["short-2001-short-2001-trailer"]["meta"]["extra_of"] == "short-2001"
    assert ids["short-2001-short-2001-trailer"]["meta"]["extra_kind"] == "trailer"
