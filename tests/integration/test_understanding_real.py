"""Understanding on a realistic movie built from real fixtures (real clips, darknet photos held as
shots, a line spoken by espeak-ng, a burned-in caption, a subtitle file), checked through
`cinesearch shots --json` as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import movie_builder as mb
import numpy as np
import pytest
from tiny_clip import tiny_clip

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _shot_at(shots: list[dict], t: float) -> dict:
    return next(s for s in shots if s["start"] <= t < s["end"])


def _photo_shot(story_library, cli, photo: str) -> tuple[dict, str]:
    """The shot of the subtitled story movie that holds `photo`, and its concepts text."""
    lib, _ = story_library
    shots = cli("shots", "subs", "--json", library=lib).json()
    _, start, end, _ = next(s for s in mb.story_spans() if s[0] == photo)
    shot = _shot_at(shots, (start + end) / 2)
    return shot, " ".join(t["text"] for t in shot["texts"] if t["kind"] == "concepts")


def _folder(root: Path, name: str, meta: dict | None = None, cues: bool = False) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    os.link(mb.story_movie(), folder / "story.mp4")
    meta = dict(meta or {})
    if cues:
        mb.write_srt(folder / "story.en.srt", mb.STORY_CUES)
        meta["subtitles"] = ["story.en.srt"]
    if meta:
        (folder / "movie.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture(scope="module")
def story_library(tmp_path_factory, backend):
    """Two copies of the story movie: 'subs' with subtitles (no transcription), 'speech' without."""
    from conftest import run_cli

    root = tmp_path_factory.mktemp("story")
    lib = root / "library"
    subs = _folder(root, "subs", {"title": "Story", "genres": ["Drama"]}, cues=True)
    speech = _folder(root, "speech")
    result = run_cli("index", str(subs), str(speech), "--no-progress", "--json", *backend.args(), library=lib)
    assert result.code == 0, result.err
    return lib, result


def test_ocr_finds_the_burned_in_words_on_their_shot(story_library, cli):
    lib, _ = story_library
    shots = cli("shots", "subs", "--json", library=lib).json()
    caption_shot = next(s for s in mb.story_spans() if s[3])
    shot = _shot_at(shots, (caption_shot[1] + caption_shot[2]) / 2)
    ocr = [t for t in shot["texts"] if t["kind"] == "ocr"]
    # The recogniser reads every letter but drops the spaces ("MEETMEATTHELIGHTHOUSE"); the text
    # layer splits the run into words again.
    assert [t["text"] for t in ocr] == [mb.CAPTION]
    assert ocr[0]["box"][1] > 0.6          # near the bottom of the frame, where it was drawn
    elsewhere = [t for s in shots if s is not shot for t in s["texts"] if t["kind"] == "ocr"]
    assert not elsewhere


def test_transcript_holds_the_spoken_sentence_at_the_right_time(story_library, cli):
    lib, _ = story_library
    shots = cli("shots", "speech", "--json", library=lib).json()
    said = [t for s in shots for t in s["texts"] if t["kind"] == "transcript"]
    assert said, "no transcript"
    line = next(t for t in said if "umbrella" in t["text"].lower())
    assert abs(line["start"] - mb.SPOKEN_AT) <= 1.0
    words = {w[0].strip(".,").lower(): w[1] for w in line["words"]}
    assert {"please", "bring", "the", "blue", "umbrella", "to", "train", "station"} <= set(words)
    assert words["please"] == pytest.approx(mb.SPOKEN_AT, abs=1.0)
    # the subtitled copy is not transcribed: its subtitles say what is said
    sub_shots = cli("shots", "subs", "--json", library=lib).json()
    assert not [t for s in sub_shots for t in s["texts"] if t["kind"] == "transcript"]


def test_subtitle_cues_land_on_their_shots(story_library, cli):
    lib, _ = story_library
    shots = cli("shots", "subs", "--json", library=lib).json()
    for start, end, text in mb.STORY_CUES:
        holders = [s["index"] for s in shots if any(t["kind"] == "subtitle" and t["text"] == text
                                                    for t in s["texts"])]
        assert holders == [_shot_at(shots, (start + end) / 2)["index"]], text


@pytest.mark.parametrize(("photo", "word"), [("dog.jpg", "dog"), ("horses.jpg", "horse"), ("eagle.jpg", "bird"),
                                             ("kite.jpg", "kite"), ("person.jpg", "person")])
def test_photos_get_the_right_concept_words(story_library, cli, photo, word):
    shot, concepts = _photo_shot(story_library, cli, photo)
    assert word in concepts, concepts
    assert shot["vectors"] == {"visual": False, "appearance": True, "text": shot["vectors"]["text"]}
    assert shot["vectors"]["text"] >= 1


def test_every_text_is_embedded_and_found_again_through_faiss(story_library):
    from cinesearch.search.store import open_store

    lib, _ = story_library
    store = open_store(lib)
    try:
        texts = store.get_texts("subs", vectors=True)
        assert texts and all(t.vector is not None and t.vector.shape == (384,) for t in texts)
        _, ids = store.vector_search("text", np.stack([t.vector for t in texts]), 1)
        found = store.lookup_texts(ids[:, 0].tolist())
        # MiniLM is uncased: the subtitle "the blue umbrella" and the other movie's transcript "the Blue
        # Umbrella" share one vector, and which of equal scores comes first is the backend's own order
        assert all(found[i][1].text.casefold() == t.text.casefold() for i, t in zip(ids[:, 0], texts, strict=True))
        # the story movies show the same photos, so a shot's vector has exact twins in the other movie
        # and the order among equal scores is the backend's own: the shot must be among its best-scored
        shots = store.get_shots("subs")
        scores, ids = store.vector_search("appearance", np.stack([s.appearance for s in shots]), 8)
        for shot, srow, irow in zip(shots, scores, ids, strict=True):
            assert srow[0] == pytest.approx(1.0, abs=3e-2)  # Elasticsearch scores int8-quantized vectors
            # int8 quantization (Elasticsearch) can score an exact twin a few thousandths apart
            best = [int(i) for s, i in zip(srow, irow, strict=True) if i >= 0 and s >= srow[0] - 1e-2]
            found = store.lookup_shots(best)
            assert ("subs", shot.index) in [found[i] for i in best], shot.index
    finally:
        store.close()


def test_without_clip_indexing_says_so_once_and_works(tmp_path):
    """A real process, as a user runs it: one notice for two movies, everything else indexed."""
    a = _folder(tmp_path, "one", cues=True)
    b = _folder(tmp_path, "two", cues=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CINESEARCH_CLIP")}
    proc = subprocess.run([sys.executable, "-m", "cinesearch.cli", "index", str(a), str(b), "--library",
                           str(tmp_path / "lib"), "--no-progress", "--json"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    notices = [ln for ln in proc.stderr.splitlines() if "CLIP" in ln]
    assert len(notices) == 1 and "CINESEARCH_CLIP_WEIGHTS" in notices[0], proc.stderr
    out = json.loads(proc.stdout)
    assert [m["stages"]["clip"] for m in out["movies"]] == ["off", "off"]
    assert all(m["stages"]["vision"] == "ran" and m["shots"] >= 8 for m in out["movies"])


def test_a_local_clip_model_gives_visual_vectors_found_again_by_id(tmp_path, cli, monkeypatch):
    config, weights = tiny_clip(tmp_path)
    monkeypatch.setenv("CINESEARCH_CLIP_CONFIG", str(config))
    monkeypatch.setenv("CINESEARCH_CLIP_WEIGHTS", str(weights))
    lib = tmp_path / "lib"
    result = cli("index", str(_folder(tmp_path, "clipped", cues=True)), "--no-progress", "--json", library=lib)
    assert result.code == 0, result.err
    assert result.json()["movies"][0]["stages"]["clip"] == "ran"
    shots = cli("shots", "clipped", "--json", library=lib).json()
    assert all(s["vectors"]["visual"] for s in shots)
    from cinesearch.models.clip import load_clip
    from cinesearch.search.store import open_store

    store = open_store(lib)
    try:
        stored = store.get_shots("clipped")
        vis = np.stack([s.visual for s in stored])
        assert vis.shape == (len(shots), 32)
        assert np.allclose(np.linalg.norm(vis, axis=1), 1.0, atol=1e-4)
        _, ids = store.vector_search("visual", vis, 1)
        assert [store.lookup_shots([i])[i] for i in ids[:, 0]] == [("clipped", s.index) for s in stored]
        # the shot vector is the normalised mean of its keyframes' embeddings, as the encoder computes them
        from PIL import Image

        enc = load_clip()
        s0 = stored[0]
        kf = enc.encode_images([Image.open(lib / k.path).convert("RGB") for k in s0.keyframes]).mean(axis=0)
        assert np.allclose(kf / np.linalg.norm(kf), s0.visual, atol=1e-4)
    finally:
        store.close()


def test_adding_subtitles_recomputes_only_the_text_and_speech_layers(tmp_path, cli, monkeypatch):
    lib = tmp_path / "lib"
    folder = _folder(tmp_path, "later", {"title": "Later"})
    first = cli("index", str(folder), "--no-progress", "--json", library=lib)
    assert first.code == 0, first.err
    assert first.json()["movies"][0]["stages"]["speech"] == "ran"
    before = cli("shots", "later", "--json", library=lib).json()

    from cinesearch.indexer.layers import shots, vision

    def must_not_run(*_a, **_k):
        raise AssertionError("a visual stage ran again")

    monkeypatch.setattr(shots, "decode_movie", must_not_run)
    monkeypatch.setattr(vision, "run_vision", must_not_run)
    mb.write_srt(folder / "story.en.srt", mb.STORY_CUES)
    (folder / "movie.json").write_text(json.dumps({"title": "Later", "subtitles": ["story.en.srt"]}))
    second = cli("index", str(folder), "--no-progress", "--json", library=lib)
    assert second.code == 0, second.err
    out = second.json()["movies"][0]
    assert out["status"] == "updated"
    assert out["stages"]["shots"] == "reused" and out["stages"]["vision"] == "reused"
    # speech runs again, on the speech no cue covers now: here none (the spoken line has its cue)
    assert out["stages"]["speech"] == "ran" and out["stages"]["text"] == "ran"
    after = cli("shots", "later", "--json", library=lib).json()
    assert [(s["start"], s["end"]) for s in after] == [(s["start"], s["end"]) for s in before]
    for a, b in zip(after, before, strict=True):
        assert [t for t in a["texts"] if t["kind"] in ("ocr", "concepts")] == \
            [t for t in b["texts"] if t["kind"] in ("ocr", "concepts")]
    assert sum(t["kind"] == "subtitle" for s in after for t in s["texts"]) == len(mb.STORY_CUES)
    assert any(t["kind"] == "transcript" for s in before for t in s["texts"])
    assert not any(t["kind"] == "transcript" for s in after for t in s["texts"])
    assert cli("check", "--json", library=lib).json()["ok"]
    # removing the movie removes its vectors
    assert cli("remove", "later", library=lib).code == 0
    from cinesearch.search.store import open_store

    store = open_store(lib)
    try:
        assert store.vector_index("text", 384).size == 0 and store.vector_index("appearance", 1280).size == 0
    finally:
        store.close()


def test_real_word_counts_split_ocr_runs_read_without_spaces():
    """wordsegment's counts (shipped in the package) on runs that PP-OCR recognisers really return."""
    from cinesearch.models.words import load_segmenter

    words = load_segmenter()
    from cinesearch.indexer.onscreen_text import respace

    assert respace("MEETMEATTHELIGHTHOUSE", words.segment, words.known) == "MEET ME AT THE LIGHTHOUSE"
    assert respace("Millionsofdollarsandsharesexceptpersharedata", words.segment, words.known) == \
        "Millions of dollars and shares except per share data"
    assert respace("KNOCKEDDOWN WAVECADET", words.segment, words.known) == "KNOCKED DOWN WAVE CADET"
    for kept in ("LIGHTHOUSE", "SOMETIMES", "Manchester", "Xzqvwp", "B2B", "www.example.com"):
        assert respace(kept, words.segment, words.known) == kept
    # the credits of Big Buck Bunny: names and addresses stay as read, run-together words split
    for kept in ("Nathan Letwory", "NATHANLETWORY", "Roosendaal", "Goedegebure", "www.blendernation.com",
                 "WWW.BIGBUCKBUNNY.ORG"):
        assert respace(kept, words.segment, words.known) == kept
    assert respace("SPECIALTHANKSTO", words.segment, words.known) == "SPECIAL THANKS TO"


@pytest.mark.parametrize(("photo", "wider"), [("dog.jpg", "animal"), ("eagle.jpg", "animal"), ("horses.jpg", "mammal")])
def test_labels_are_widened_with_wordnet(story_library, cli, photo, wider):
    """deploy/setup.sh installs Debian's wordnet-base: a label also answers its broader words."""
    _, concepts = _photo_shot(story_library, cli, photo)
    assert "also:" in concepts and wider in concepts.split("also:")[1], concepts


def test_wordnet_finds_every_lemma_of_its_index_without_loading_it():
    """Lookups are binary searches over index.noun and seeks into data.noun: check a spread of
    lemmas from the real file (first, last, every 997th) and the sense a group word picks."""
    from cinesearch import models

    wn = models.wordnet_nouns()
    assert wn is not None, "deploy/setup.sh installs wordnet-base"
    text = Path("/usr/share/wordnet/index.noun").read_text(encoding="latin-1")
    lemmas = [line.split()[0] for line in text.splitlines() if not line.startswith(" ")]
    for lemma in [lemmas[0], lemmas[-1], *lemmas[::997]]:
        assert wn.senses(lemma), lemma
    assert wn.senses("no_such_lemma_here") == []
    assert "dog" in wn.widen("Chihuahua", "dog") and "mammal" in wn.widen("hare")
