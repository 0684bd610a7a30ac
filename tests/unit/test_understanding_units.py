"""Pure parts of understanding, without models: concepts text, OCR de-duplication, story-text
units, timeline attachment, monotonic alignment; and the faiss vector index lifecycle."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from cinesearch.indexer.align import align_monotonic, lexical_similarity, scene_of_shots, span_to_shots
from cinesearch.indexer.concepts import concepts_text, shot_labels, shot_objects
from cinesearch.indexer.onscreen_text import Reading, dedupe, respace
from cinesearch.indexer.story_text import script_units, split_sentences, synopsis_units
from cinesearch.models.imagenet import group_word
from cinesearch.models.speech import Word, sentence_segments
from cinesearch.search.store.catalogue_rows import CatalogueRows
from cinesearch.search.store.vectors import ArrayRows, IndexPolicy, VectorIndex


def test_concepts_text_counts_objects_once_per_shot_and_names_labels():
    objects = shot_objects([["person", "person", "bicycle"], ["person"], ["person", "person", "dog"]])
    assert objects == {"person": 2, "bicycle": 1, "dog": 1}
    labels = ["x"] * 1000
    labels[248] = "malamute, malemute, Alaskan malamute"
    labels[978] = "seashore, coast, seacoast, sea-coast"
    p1, p2 = np.zeros(1000), np.zeros(1000)
    p1[978], p2[978], p1[248] = 0.8, 0.6, 0.3
    got = shot_labels([p1, p2], labels)
    assert got[0][0] == "seashore" and got[1][0] == "malamute (dog)"   # 0.15 mean is kept, with its group word
    assert concepts_text(objects, got) == "objects: 2 people, a bicycle, a dog; scene: seashore, malamute (dog)"
    assert concepts_text({}, []) == ""
    assert group_word(15) == "bird" and group_word(500) is None


def test_ocr_readings_are_deduplicated_keeping_the_best_read():
    box = (0.1, 0.8, 0.9, 0.9)
    kept = dedupe([Reading("MEET ME AT THE LIGHTH0USE", 0.81, 1.0, box), Reading("x", 0.99, 1.0, box),
                   Reading("Meet me at the lighthouse", 0.97, 2.0, box), Reading("EXIT", 0.9, 3.0, box)])
    assert [r.text for r in kept] == ["Meet me at the lighthouse", "EXIT"]
    assert kept[0].time == 1.0   # first seen


def _toy_segmenter(vocab: set[str]):
    """Greedy longest-prefix split over a toy vocabulary; an unknown remainder comes back whole, as
    wordsegment returns it."""
    def segment(run: str) -> list[str]:
        run, out = run.lower(), []
        while run:
            cut = next((k for k in range(len(run), 0, -1) if run[:k] in vocab), None)
            if cut is None:
                return [*out, run]
            out.append(run[:cut])
            run = run[cut:]
        return out
    return segment, lambda w: w.lower() in vocab


def test_ocr_runs_are_respaced_keeping_the_reading_letters_and_case():
    segment, known = _toy_segmenter({"meet", "me", "at", "the", "lighthouse", "exit", "only", "b", "x", "a", "go"})
    assert respace("MEETMEATTHELIGHTHOUSE", segment, known) == "MEET ME AT THE LIGHTHOUSE"
    assert respace("EXITONLY, MEETME!", segment, known, min_run=4) == "EXIT ONLY, MEET ME!"   # punctuation kept
    assert respace("exitonly", segment, known) == "exit only"
    assert respace("MEETME", segment, known, min_run=7) == "MEETME"      # short runs stay as read
    assert respace("THELIGHTHOUSEKOWALSKI", segment, known) == "THELIGHTHOUSEKOWALSKI"   # an unknown piece
    assert respace("EXITBEXIT", segment, known) == "EXITBEXIT"           # a stray letter is no word
    assert respace("AGOAGOAGO", segment, known) == "A GO A GO A GO"      # "a" and "i" are words
    assert respace("123456789 Été", segment, known) == "123456789 Été"   # digits and non-ASCII untouched
    assert respace("", segment, known) == ""


def test_names_and_addresses_are_never_respaced():
    # every piece is a known word, but these are a name and an address as the credits show them
    segment, known = _toy_segmenter({"le", "two", "ry", "nathan", "blend", "er", "nation", "com", "www",
                                     "roos", "en", "da", "al", "meet", "me", "big", "buck", "bunny", "org"})
    assert respace("Nathan Letwory", segment, known) == "Nathan Letwory"
    assert respace("Produced by Roosendaal", segment, known) == "Produced by Roosendaal"
    assert respace("www.blendernation.com", segment, known) == "www.blendernation.com"
    assert respace("visit http://blendernation.com/now", segment, known) == "visit http://blendernation.com/now"
    assert respace("mail nathan@blendernation.org", segment, known) == "mail nathan@blendernation.org"
    assert respace("WWW.BIGBUCKBUNNY.ORG MEETME", segment, known, min_run=4) == "WWW.BIGBUCKBUNNY.ORG MEET ME"
    assert respace("Meetme", segment, known) == "Meetme"        # a capitalised word it does not know: a name


def test_story_text_units():
    assert split_sentences("Mr. Smith arrives. He is late! Is he? Yes.") == [
        "Mr. Smith arrives.", "He is late!", "Is he?", "Yes."]
    script = "INT. KITCHEN - NIGHT\n\nROSE\nI'll never let go.\n\nJACK (V.O.)\nPromise me.\n"
    assert script_units(script) == ["INT. KITCHEN - NIGHT", "Rose: I'll never let go.", "Jack (V.O.): Promise me."]
    assert script_units("one line\nanother line\n") == ["one line", "another line"]
    assert synopsis_units(["A ship sails. It sinks.", "They part."]) == ["A ship sails.", "It sinks.", "They part."]


def test_timed_text_attaches_to_the_shots_it_overlaps():
    starts, ends = [0.0, 2.0, 5.0], [2.0, 5.0, 9.0]
    assert span_to_shots(0.5, 1.5, starts, ends) == (0, 0)
    assert span_to_shots(1.5, 5.5, starts, ends) == (0, 2)
    assert span_to_shots(2.0, 5.0, starts, ends) == (1, 1)     # ends are exclusive
    assert span_to_shots(9.5, 10.0, starts, ends) is None
    assert scene_of_shots([(0, 1), (2, 2)]) == [0, 0, 1]


def test_monotonic_alignment_keeps_order_where_greedy_would_not():
    sim = np.array([[0.9, 0.1, 0.0],
                    [0.1, 0.2, 0.8],
                    [0.0, 0.75, 0.7]])   # row 2 alone prefers scene 1, but it comes after row 1 (scene 2)
    path, conf = align_monotonic(sim)
    assert path == [0, 2, 2]
    assert conf[0] > 0.99 and conf[2] < 0.75   # placed by order, and it says so
    assert align_monotonic(np.zeros((0, 3))) == ([], [])


def test_lexical_similarity_uses_content_words():
    sim = lexical_similarity(["The captain steers the ship"], ["a ship and its captain", "the the the"])
    assert sim[0, 0] == pytest.approx(2 / 3) and sim[0, 1] == 0


def _unit(rng, n, d=16):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize(("n", "kind", "sq8"), [(50, "flat", True), (300, "hnsw", False), (300, "hnsw_sq8", True),
                                             (3000, "ivfpq", True)])
def test_vector_index_types_follow_size_and_stay_incremental(tmp_path, n, kind, sq8):
    rng = np.random.default_rng(1)
    policy = IndexPolicy(flat_max=100, hnsw_max=1000, ivf_nprobe=64, hnsw_sq8=sq8)
    vecs, ids = _unit(rng, n), np.arange(1000, 1000 + n, dtype=np.int64)
    store: dict[int, np.ndarray] = dict(zip(ids.tolist(), vecs, strict=True))

    def rows():
        keys = sorted(store)
        return ArrayRows(np.asarray(keys, np.int64), np.stack([store[k] for k in keys]))

    vi = VectorIndex(tmp_path, "text", 16, policy)
    vi.rebuild(ArrayRows(ids, vecs), generation=1)
    assert vi.meta["type"] == kind and vi.size == n
    _, found = vi.search(vecs[:5], 10)
    recall = np.mean([i in row for i, row in zip(ids[:5], found.tolist(), strict=True)])
    assert recall >= (1.0 if kind != "ivfpq" else 0.6)
    # remove ten, add five: searching never returns a removed id
    gone = ids[:10].tolist()
    for g in gone:
        del store[g]
    new_ids, new_vecs = np.arange(9000, 9005, dtype=np.int64), _unit(rng, 5)
    store.update(zip(new_ids.tolist(), new_vecs, strict=True))
    vi.update(gone, new_ids, new_vecs, generation=2, all_rows=rows)
    assert vi.size == n - 5 and vi.generation == 2
    _, found = vi.search(vecs[:10], 5)
    assert not set(found.ravel().tolist()) & set(gone)
    _, found = vi.search(new_vecs, 10)   # compressed search (random 16-d data is its worst case): recall@10
    recall = np.mean([i in row for i, row in zip(new_ids, found.tolist(), strict=True)])
    assert recall >= (1.0 if kind != "ivfpq" else 0.6)
    # a fresh process loads it from disk; a stale generation is rebuilt from the rows
    again = VectorIndex(tmp_path, "text", 16, policy)
    assert again.load() and again.generation == 2 and again.size == n - 5
    again.update([], np.zeros(0, np.int64), np.zeros((0, 16), np.float32), generation=7, all_rows=rows)
    assert again.generation == 7 and again.size == n - 5


def test_vector_index_changes_type_when_it_grows(tmp_path):
    rng = np.random.default_rng(2)
    policy = IndexPolicy(flat_max=100, hnsw_max=1000)
    a, b = _unit(rng, 80), _unit(rng, 80)
    vi = VectorIndex(tmp_path, "appearance", 16, policy)
    vi.rebuild(ArrayRows(np.arange(80), a), 1)
    assert vi.meta["type"] == "flat"
    all_ids, all_vecs = np.arange(160), np.concatenate([a, b])
    vi.update([], np.arange(80, 160), b, 2, lambda: ArrayRows(all_ids, all_vecs))
    assert vi.meta["type"] == "hnsw_sq8" and vi.size == 160


def test_a_float32_graph_is_rebuilt_with_8_bit_codes_on_the_next_write_and_scores_stay_close(tmp_path):
    """Libraries indexed before the 8-bit graph existed move to it when they are next written."""
    rng = np.random.default_rng(3)
    vecs = _unit(rng, 400, d=64)
    ids = np.arange(400)
    old = VectorIndex(tmp_path, "appearance", 64, IndexPolicy(flat_max=100, hnsw_max=1000, hnsw_sq8=False))
    old.rebuild(ArrayRows(ids[:300], vecs[:300]), 1)
    assert old.meta["type"] == "hnsw"
    float_bytes = old.path.stat().st_size * 400 / 300
    vi = VectorIndex(tmp_path, "appearance", 64, IndexPolicy(flat_max=100, hnsw_max=1000))
    vi.update([], ids[300:], vecs[300:], 2, lambda: ArrayRows(ids, vecs))
    assert vi.meta["type"] == "hnsw_sq8" and vi.size == 400
    assert vi.path.stat().st_size < 0.75 * float_bytes   # 64 bytes a vector instead of 256, links unchanged
    scores, found = vi.search(vecs[:20], 5)
    assert found[:, 0].tolist() == ids[:20].tolist()
    exact = np.einsum("qd,qkd->qk", vecs[:20], vecs[found])
    assert np.abs(scores - exact).max() < 0.02


def test_transcript_words_are_cut_into_sentences_at_pauses_and_length():
    words = [Word("Hello", 0.0, 0.4), Word("there.", 0.4, 0.8), Word("Come", 1.0, 1.3), Word("in", 1.3, 1.5),
             Word("now", 4.0, 4.3), Word("please?", 4.3, 4.8)]
    segs = sentence_segments(words)
    assert [(s.text, s.start, s.end) for s in segs] == [
        ("Hello there.", 0.0, 0.8), ("Come in", 1.0, 1.5), ("now please?", 4.0, 4.8)]   # 2.5 s pause cuts
    assert [len(s.words) for s in segs] == [2, 2, 2]
    endless = [Word(f"w{i}", i * 0.5, i * 0.5 + 0.4) for i in range(100)]   # 50 s with no full stop
    long = sentence_segments(endless, max_seconds=15.0)
    assert all(s.end - s.start <= 15.0 for s in long) and sum(len(s.words) for s in long) == 100
    assert sentence_segments([]) == []


def test_catalogue_rows_read_one_kind_in_chunks_and_sample_it_reproducibly(tmp_path):
    """A rebuild reads the catalogue a chunk at a time; other dimensions and empty cells are not its rows."""
    rng = np.random.default_rng(4)
    vecs = _unit(rng, 1000, d=8)
    conn = sqlite3.connect(tmp_path / "c.sqlite")
    conn.execute("CREATE TABLE shots (id INTEGER PRIMARY KEY, appearance BLOB)")
    conn.executemany("INSERT INTO shots VALUES (?, ?)", [(3 * i + 1, v.tobytes()) for i, v in enumerate(vecs)])
    conn.executemany("INSERT INTO shots VALUES (?, ?)", [(5000, None), (5001, vecs[0][:4].tobytes())])
    rows = CatalogueRows(conn, "shots", "appearance", 8)
    assert rows.count() == 1000
    chunks = list(rows.chunks(300))
    assert [len(i) for i, _ in chunks] == [300, 300, 300, 100]
    ids = np.concatenate([i for i, _ in chunks])
    assert ids.tolist() == [3 * i + 1 for i in range(1000)]
    assert np.array_equal(np.concatenate([v for _, v in chunks]), vecs)
    sample = rows.sample(100)
    assert sample.shape == (100, 8) and np.array_equal(sample, rows.sample(100))
    assert np.array_equal(sample, ArrayRows(ids, vecs).sample(100))    # the same rows either way
    assert np.array_equal(rows.sample(5000), vecs)
    # an index rebuilt from the catalogue answers like one built from the same rows in memory
    policy = IndexPolicy(flat_max=100, hnsw_max=500, ivf_nprobe=64)
    a, b = VectorIndex(tmp_path / "a", "appearance", 8, policy), VectorIndex(tmp_path / "b", "appearance", 8, policy)
    a.rebuild(rows, 1)
    b.rebuild(ArrayRows(ids, vecs), 1)
    assert a.meta["type"] == b.meta["type"] == "ivfpq"
    assert np.array_equal(a.search(vecs[:20], 5)[1], b.search(vecs[:20], 5)[1])


def test_the_clearest_reading_of_each_region_wins():
    from cinesearch.indexer.onscreen_text import clearest

    box = (0.2, 0.4, 0.8, 0.5)
    half = (0.2, 0.4, 0.55, 0.5)
    readings = [Reading("The Blender Found", 0.93, 1.0, half), Reading("The Blender Foundation", 0.95, 2.0, box),
                Reading("Peach Project", 0.9, 2.0, (0.3, 0.6, 0.7, 0.7)), Reading("The Blender Fou", 0.6, 3.0, half)]
    kept = clearest(readings)
    assert [r.text for r in kept] == ["The Blender Foundation", "Peach Project"]
    assert kept[0].time == 1.0      # the region was first seen fading in


def test_labels_are_widened_with_the_sense_their_group_word_names():
    from cinesearch.indexer.concepts import widened_labels

    asked: list[tuple[str, str | None]] = []

    def widen(name: str, group: str | None) -> list[str]:
        asked.append((name, group))
        return {"Chihuahua": ["toy dog", "dog", "animal"], "hare": ["leporid", "mammal", "animal"],
                "horse": ["equine", "mammal"]}.get(name, [])

    text = widened_labels([("Chihuahua (dog)", 0.4), ("hare", 0.3), ("web site", 0.2)], widen)
    assert text == "also: toy dog, animal, leporid, mammal"     # "dog" is in the label already; no repeats
    assert asked == [("Chihuahua", "dog"), ("hare", None), ("web site", None)]
    assert widened_labels([], widen) == ""
    assert widened_labels([], widen, ["horse"]) == "also: equine, mammal"
