"""Cast search on a film of real photos and clips (movie_builder.CAST_SHOTS): Obama and Biden from
the face_recognition test images, a group photo of six strangers, clips with faces of their own,
and a wide shot where Obama's face is too small to detect. Portraits in movie.json: obama.jpg and
biden.jpg; the searches use other photos."""

from __future__ import annotations

import shutil

import movie_builder as mb
import pytest

pytestmark = pytest.mark.slow


def _truth(who: str) -> list[tuple[float, float]]:
    return [(a, b) for a, b, w in mb.cast_spans() if w == who]


def _shows(result: dict, span: tuple[float, float]) -> bool:
    mid = (result["start"] + result["end"]) / 2
    return span[0] <= mid < span[1]


@pytest.fixture(scope="module")
def cast_library(tmp_path_factory, backend):
    from conftest import run_cli

    root = tmp_path_factory.mktemp("cast")
    folder = mb.cast_folder(root)
    lib = root / "library"
    result = run_cli("index", str(folder), "--no-progress", *backend.args(), library=lib)
    assert result.code == 0, result.err
    return lib


def _search(cli, lib, *args):
    result = cli("search", *args, "--limit", "50", "--json", library=lib)
    assert result.code == 0, result.err
    return result.json()["results"], result.err


def _check_obama(results: list[dict]) -> None:
    obama, biden = _truth("Obama"), _truth("Biden")
    assert all(r["why"] for r in results)
    found = [span for span in obama if any(_shows(r, span) for r in results)]
    assert found == obama, f"recall: found {found} of {obama}: {results}"                  # recall 1.0
    assert all(any(_shows(r, span) for span in obama) for r in results), results             # precision 1.0
    assert not any(_shows(r, span) for r in results for span in biden)


def test_a_face_photo_that_is_not_the_portrait_finds_every_obama_shot_and_no_biden(cast_library, cli, media):
    results, _ = _search(cli, cast_library, "--face", str(media("obama2.jpg")))
    _check_obama(results)


def test_the_cast_name_gives_the_same_answer(cast_library, cli, media):
    by_name, _ = _search(cli, cast_library, "--cast", "Obama")
    _check_obama(by_name)
    by_actor, _ = _search(cli, cast_library, "cast:\"Barack Obama\"")
    by_face, _ = _search(cli, cast_library, "--face", str(media("obama2.jpg")))
    key = sorted((r["start"], r["end"]) for r in by_face)
    assert sorted((r["start"], r["end"]) for r in by_name) == key == sorted((r["start"], r["end"]) for r in by_actor)


def test_the_wide_shot_without_a_visible_face_is_recovered_through_a_link(cast_library, cli, media):
    wide = next((a, b) for (src, _, _), (a, b, _) in zip(mb.CAST_SHOTS, mb.cast_spans(), strict=True) if "@" in src)
    results, _ = _search(cli, cast_library, "--face", str(media("obama2.jpg")))
    hit = next(r for r in results if _shows(r, wide))
    assert hit["why"][0]["modality"] == "link"


def test_biden_is_found_alone(cast_library, cli, media):
    results, _ = _search(cli, cast_library, "--cast", "Biden")
    assert results and all(any(_shows(r, s) for s in _truth("Biden")) for r in results)


def test_bad_photos_exit_2_and_a_group_photo_uses_the_largest_face(cast_library, cli, media, tmp_path):
    no_face = cli("search", "--face", str(media("dog.jpg")), library=cast_library)
    assert no_face.code == 2 and "no face found" in no_face.err and len(no_face.err.strip().splitlines()) == 1
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is not a picture")
    not_image = cli("search", "--face", str(fake), library=cast_library)
    assert not_image.code == 2 and "not an image" in not_image.err
    missing = cli("search", "--face", str(tmp_path / "nope.jpg"), library=cast_library)
    assert missing.code == 2 and "cannot read" in missing.err
    group = cli("search", "--face", str(media("t1.jpg")), "--json", library=cast_library)
    assert group.code == 0 and "6 faces; searching for the largest" in group.err


def test_removing_the_movie_removes_its_face_vectors(cast_library, new_store, tmp_path):
    """Written into a fresh library of the backend under test, found by face, then removed."""
    import numpy as np

    from cinesearch.search.store import Keyframe, open_store
    from cinesearch.search.store.migrate import read_bundle

    src = open_store(cast_library)
    try:
        bundle = read_bundle(src, "summit")
    finally:
        src.close()
    store = new_store(tmp_path / "lib")
    staged = store.staging_dir("summit") / "thumbs"
    shutil.copytree(cast_library / bundle.movie.thumbs_dir, staged)
    cut = len(bundle.movie.thumbs_dir) + 1
    for shot in bundle.shots:
        shot.keyframes = [Keyframe(k.time, k.frame, k.path[cut:]) for k in shot.keyframes]
    faces = np.stack([t.face for t in bundle.tracks if t.face is not None])
    with store.writer():
        store.put_movie(bundle, staged)
    _, ids = store.vector_search("face", faces, 1)
    assert (ids[:, 0] >= 0).all()
    assert {mid for mid, _ in store.lookup_tracks(ids[:, 0].tolist()).values()} == {"summit"}
    with store.writer():
        assert store.remove_movie("summit")
    _, ids = store.vector_search("face", faces, 1)
    assert (ids < 0).all() and store.get_tracks("summit") == []
    assert store.check().ok
