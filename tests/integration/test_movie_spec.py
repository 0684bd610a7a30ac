"""movie.json validation and id rules (docs/design.md contract)."""

import json
import re
import shutil

import pytest

from cinesearch.indexer.errors import InputError
from cinesearch.indexer.library_import import discover
from cinesearch.indexer.movie_spec import load_folder, slugify


@pytest.mark.parametrize("name,slug", [("cityCC0", "citycc0"), ("trailer_bbb", "trailer-bbb"),
                                       ("  Les Misérables (2012) ", "les-mis-rables-2012"), ("___", "movie")])
def test_slugify(name, slug):
    assert slugify(name) == slug


def _folder(tmp_path, media, meta):
    folder = tmp_path / "Titanic 1997"
    folder.mkdir()
    shutil.copy(media("bikes.mp4"), folder / "titanic.mp4")
    if meta is not None:
        (folder / "movie.json").write_text(json.dumps(meta))
    return folder


def test_full_movie_json_keeps_unknown_fields(tmp_path, media):
    folder = _folder(tmp_path, media, {"id": "titanic-1997", "title": "Titanic", "year": 1997,
                                       "release_date": "1997-11-18", "genres": ["Drama"], "rating": 7.5,
                                       "synopsis": ["a", "b"], "video": "titanic.mp4", "studio": "Paramount"})
    spec = load_folder(folder)
    assert spec.id == "titanic-1997" and spec.title == "Titanic" and spec.year == 1997
    assert spec.meta["studio"] == "Paramount"


def test_default_id_is_folder_slug(tmp_path, media):
    spec = load_folder(_folder(tmp_path, media, None))
    assert spec.id == "titanic-1997"


@pytest.mark.parametrize("meta,field", [
    ({"year": "nineteen"}, "year"),
    ({"rating": 11}, "rating"),
    ({"genres": "Drama"}, "genres"),
    ({"release_date": "18/11/1997"}, "release_date"),
    ({"id": "Bad Id"}, "id"),
    ({"video": "missing.mp4"}, "video"),
    ({"subtitles": ["nope.srt"]}, "subtitles[0]"),
    ({"cast": [{"actor": "Kate Winslet"}]}, "cast[0].character"),
    ({"cast": [{"character": "Rose", "portrait": "cast/rose.jpg"}]}, "cast[0].portrait"),
])
def test_bad_field_is_named(tmp_path, media, meta, field):
    folder = _folder(tmp_path, media, meta)
    with pytest.raises(InputError) as err:
        load_folder(folder)
    assert f'field "{field}"' in str(err.value)
    assert "movie.json" in str(err.value)


def test_invalid_json_names_line(tmp_path, media):
    folder = _folder(tmp_path, media, None)
    (folder / "movie.json").write_text('{"title": "x",\n "year": }')
    with pytest.raises(InputError, match=r"movie.json:2:\d+"):
        load_folder(folder)


def test_discover_collection_and_missing(tmp_path, media):
    shutil.copy(media("bikes.mp4"), tmp_path / "a_one.mp4")
    shutil.copy(media("carphone_pristine.mp4"), tmp_path / "b.mp4")
    (tmp_path / "notes.txt").write_text("x")
    found = discover([tmp_path, tmp_path / "nope.mp4"])
    ids = [f.id for f in found if not isinstance(f, InputError)]
    assert ids == ["a-one", "b"]
    assert isinstance(found[-1], InputError) and "nope.mp4" in str(found[-1])


@pytest.mark.parametrize("meta,field", [
    ({"script": "/etc/passwd"}, "script"),
    ({"script": "/proc/self/environ"}, "script"),
    ({"subtitles": ["../outside.srt"]}, "subtitles[0]"),
    ({"video": "../elsewhere.mp4"}, "video"),
    ({"cast": [{"character": "Rose", "portrait": "/etc/passwd"}]}, "cast[0].portrait"),
    ({"script": "script.txt"}, "script"),      # a symlink in the folder that points outside it
])
def test_a_path_that_leads_outside_the_movie_folder_is_refused_and_nothing_of_it_indexed(tmp_path, media, cli,
                                                                                          meta, field):
    folder = _folder(tmp_path, media, meta)
    (folder / "script.txt").symlink_to("/etc/passwd")
    (tmp_path / "outside.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nroot secret line\n\n")
    shutil.copy(folder / "titanic.mp4", tmp_path / "elsewhere.mp4")
    with pytest.raises(InputError, match=re.escape(f'field "{field}": must name a file inside the movie\'s folder')):
        load_folder(folder)
    lib = tmp_path / "lib"
    res = cli("index", str(folder), library=lib)
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1 and f'field "{field}"' in res.err, res.err
    assert not (lib / "catalogue.sqlite").exists()   # refused before the library was created


def test_absurd_json_is_a_clear_refusal(tmp_path, media):
    folder = _folder(tmp_path, media, None)
    (folder / "movie.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="nested too deeply"):
        load_folder(folder)
    (folder / "movie.json").write_text(json.dumps({"title": "T" * 5_000_000}))
    with pytest.raises(InputError, match='field "title": is 5,000,000 characters long; at most 1,000'):
        load_folder(folder)


def test_a_portrait_that_is_not_an_image_is_refused_before_any_decoding(tmp_path, media):
    folder = _folder(tmp_path, media, {"cast": [{"character": "Rose", "portrait": "rose.jpg"}]})
    (folder / "rose.jpg").write_text("not a picture at all\n" * 20)
    with pytest.raises(InputError, match=re.escape('field "cast[0].portrait": rose.jpg is not an image')):
        load_folder(folder)
    shutil.copy(media("obama.jpg"), folder / "rose.jpg")
    assert load_folder(folder).cast[0].portrait == folder / "rose.jpg"
