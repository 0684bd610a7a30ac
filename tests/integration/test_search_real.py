"""Search on real fixtures, through `cinesearch search` as a user runs it: sentences and paragraphs
localized on the story movie, tags learned from movie tags over a library of real clips and
photos, and bad queries refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import movie_builder as mb
import numpy as np
import pytest

from cinesearch.search.focus import iou
from cinesearch.search.mil import average_precision

pytestmark = pytest.mark.slow

SPOKEN_SPAN = (mb.SPOKEN_AT, mb.STORY_CUES[2][1])
CAPTION_SHOT = (12.0, 15.0)   # the giraffe photo with the burned-in caption (STORY_SHOTS[4])


@pytest.fixture(scope="module")
def story_library(tmp_path_factory, backend):
    """The story movie twice: 'subs' with its subtitle file, 'speech' heard through Whisper only."""
    from conftest import run_cli

    root = tmp_path_factory.mktemp("search")
    for name, cues in (("subs", True), ("speech", False)):
        folder = root / name
        folder.mkdir()
        os.link(mb.story_movie(), folder / "story.mp4")
        meta: dict = {"title": f"Story ({name})", "genres": ["Drama"]}
        if cues:
            mb.write_srt(folder / "story.en.srt", mb.STORY_CUES)
            meta["subtitles"] = ["story.en.srt"]
        (folder / "movie.json").write_text(json.dumps(meta))
    lib = root / "library"
    result = run_cli("index", str(root / "subs"), str(root / "speech"), "--no-progress", *backend.args(),
                     library=lib)
    assert result.code == 0, result.err
    return lib


def _search(cli, lib: Path, *args: str) -> list[dict]:
    result = cli("search", *args, "--json", library=lib)
    assert result.code == 0, result.err
    answer = result.json()
    assert all(r["why"] for r in answer["results"]), "every result must say why it matched"
    return answer["results"]


@pytest.mark.parametrize("movie", ["subs", "speech"])
def test_a_paraphrase_of_the_spoken_line_finds_its_span_first(story_library, cli, movie):
    results = _search(cli, story_library, "someone asks for the umbrella to be taken to the railway station",
                      "--movie", movie)
    top = results[0]
    assert top["movie_id"] == movie and top["strong"], top
    assert iou((top["start"], top["end"]), SPOKEN_SPAN) >= 0.5, top
    kinds = {w.get("kind") for w in top["why"]}
    assert ("subtitle" if movie == "subs" else "transcript") in kinds


def test_the_burned_in_text_finds_its_shot_first(story_library, cli):
    top = _search(cli, story_library, "meet me at the lighthouse")[0]
    assert top["strong"], top
    assert iou((top["start"], top["end"]), CAPTION_SHOT) >= 0.5, top
    assert any(w.get("kind") == "ocr" for w in top["why"])


def test_a_word_of_the_burned_in_text_is_found_by_keyword(story_library, cli):
    """The recogniser reads the caption without its spaces; the indexer splits it into words again,
    so BM25 finds the caption's shot by any one of them."""
    for movie in ("subs", "speech"):
        top = _search(cli, story_library, "lighthouse", "--movie", movie)[0]
        assert top["strong"], top
        assert iou((top["start"], top["end"]), CAPTION_SHOT) >= 0.5, top
        assert {"modality": "bm25", "kind": "ocr"}.items() <= next(
            w for w in top["why"] if w.get("modality") == "bm25").items(), top["why"]


def test_a_paragraph_localizes_each_sentence_in_order(story_library, cli):
    paragraph = ("A dog is waiting beside a bike. Kites are dancing over the sand. "
                 "Then someone asks for the blue umbrella to be brought to the station.")
    top = _search(cli, story_library, paragraph, "--movie", "subs")[0]
    truth = [(a, b) for a, b, _ in mb.STORY_CUES]
    parts = top["focus"]
    assert top["strong"], top
    assert len(parts) == 3
    for part, span in zip(parts, truth, strict=True):
        assert iou((part["start"], part["end"]), span) >= 0.5, (part, span)
    assert [p["start"] for p in parts] == sorted(p["start"] for p in parts)


def test_a_movie_filter_and_a_phrase_restrict_results(story_library, cli):
    results = _search(cli, story_library, '"blue umbrella"', "--movie", "speech")
    assert results and {r["movie_id"] for r in results} == {"speech"} and results[0]["strong"]
    assert any("blue umbrella" in (w.get("text") or "").lower() for w in results[0]["why"])


@pytest.mark.parametrize("args, message", [
    (["   "], "empty query"),
    (["x" * 2001], "too long"),
    (["bad\x07query"], "control character"),
    (["dog", "--limit", "0"], "--limit"),
    (["dog", "--movie", "nope"], "no movie 'nope'"),
])
def test_bad_queries_exit_2_with_one_line(story_library, cli, args, message):
    result = cli("search", *args, library=story_library)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.err


# -- tags: learned from movie tags --------------------------------------------------------------
# Six movies of real clips and darknet photos. The three tagged "animals" each hold one or two
# animal photos among ordinary shots; the untagged ones hold the same kinds of ordinary shots and
# non-animal photos, so only the animals explain the tag.
TAG_MOVIES: dict[str, tuple[list[str], list[tuple[str, float, float]]]] = {
    "zoo-a": (["animals", "drama"], [("bikes.mp4", 0, 3), ("dog.jpg", 0, 2.5), ("cityCC0.mpg", 0, 3),
                                     ("person.jpg", 0, 2.5)]),
    "zoo-b": (["animals"], [("cityCC0.mpg", 3, 3), ("horses.jpg", 0, 2.5), ("carphone_pristine.mp4", 0, 3),
                            ("kite.jpg", 0, 2.5)]),
    "zoo-c": (["animals", "drama"], [("carphone_pristine.mp4", 0, 3), ("eagle.jpg", 0, 2.5), ("bikes.mp4", 4, 3),
                                     ("giraffe.jpg", 0, 2.5)]),
    "town-d": (["drama"], [("bikes.mp4", 5, 3), ("person.jpg", 0, 2.5), ("cityCC0.mpg", 1, 3)]),
    "town-e": ([], [("cityCC0.mpg", 2, 3), ("kite.jpg", 0, 2.5), ("carphone_pristine.mp4", 0, 3)]),
    "town-f": (["comedy"], [("carphone_pristine.mp4", 0, 3), ("person.jpg", 0, 2.5), ("bikes.mp4", 1, 3),
                            ("kite.jpg", 0, 2.5)]),
}
ANIMALS = {"dog.jpg", "horses.jpg", "eagle.jpg", "giraffe.jpg"}


def _part_at(parts: list[tuple[str, float, float]], t: float) -> str:
    start = 0.0
    for src, _, secs in parts:
        if start <= t < start + secs:
            return src
        start += secs
    return parts[-1][0]


@pytest.fixture(scope="module")
def tag_library(tmp_path_factory, backend):
    from conftest import run_cli

    root = tmp_path_factory.mktemp("tags")
    for name, (tags, parts) in TAG_MOVIES.items():
        folder = root / name
        folder.mkdir()
        os.link(mb.shot_movie(f"tag-{name}", parts), folder / f"{name}.mp4")
        (folder / "movie.json").write_text(json.dumps({"id": name, "title": name, "keywords": tags}))
    lib = root / "library"
    result = run_cli("index", *(str(root / n) for n in TAG_MOVIES), "--no-progress", *backend.args(),
                     library=lib)
    assert result.code == 0, result.err
    return lib


def test_learned_tag_responses_rank_the_planted_shots_first(tag_library):
    from cinesearch.search.store import open_store
    from cinesearch.search.tags import TagIndex

    store = open_store(tag_library)
    try:
        tags = TagIndex(store)
        assert "animals" in tags.vocabulary
        scores, learned = tags.scores("animals")
        assert learned
        table = tags._table
        truth = []
        for mid, idx in zip(table.movie_ids, table.shot_idx, strict=True):
            shot = store.get_shots(mid)[idx]
            truth.append(_part_at(TAG_MOVIES[mid][1], (shot.start + shot.end) / 2) in ANIMALS)
        truth = np.array(truth)
        assert truth.sum() == 4
        ap = average_precision(scores, truth)
        assert ap >= 0.8, (ap, sorted(zip(scores.round(3), truth, strict=True), reverse=True)[:8])
    finally:
        store.close()


def test_a_tag_outside_the_vocabulary_is_scored_zero_shot(tag_library, cli):
    results = _search(cli, tag_library, "--tags", "kite", "--limit", "3")   # 3 kite photos in the library
    assert len(results) == 3
    for r in results:
        parts = TAG_MOVIES[r["movie_id"]][1]
        assert _part_at(parts, (r["start"] + r["end"]) / 2) == "kite.jpg", r
        assert any(w["modality"] == "tag" and w["how"] == "zero-shot" for w in r["why"])


def test_tag_search_returns_clips_with_why_and_retrains_after_a_change(tag_library, cli):
    results = _search(cli, tag_library, "tag:animals", "--limit", "4")
    assert {r["movie_id"] for r in results} <= {"zoo-a", "zoo-b", "zoo-c"}
    assert all(any(w["modality"] == "tag" and w["how"] == "learned" for w in r["why"]) for r in results)
    before = sorted(p.name for p in (tag_library / "tags").glob("responses-*.npz"))
    assert cli("remove", "town-f", library=tag_library).code == 0
    _search(cli, tag_library, "--tags", "animals", "--limit", "2")
    after = sorted(p.name for p in (tag_library / "tags").glob("responses-*.npz"))
    assert before and after and before != after
