"""The store contract on both backends (atomic replace, removal, keyword search, the writer lock,
integrity check), and the embedded catalogue's own schema migrations."""

import sqlite3

import numpy as np
import pytest

from cinesearch.search.store import Keyframe, Movie, MovieBundle, Scene, Shot, StoreError, open_store
from cinesearch.search.store.schema import SCHEMA_VERSION


def _bundle(movie_id="m", n=3, fp="f1"):
    shots = [Shot(i, i * 1.0, i + 1.0, i * 25, (i + 1) * 25, [Keyframe(i + 0.5, i * 25 + 12, f"s{i}.jpg")],
                  np.full(4, 0.5, np.float32)) for i in range(n)]
    movie = Movie(id=movie_id, source=f"/v/{movie_id}.mp4", content_hash="h", fingerprint=fp, profile="fast",
                  duration=float(n), n_frames=25 * n, media={}, meta={"title": "T"}, title="T")
    return MovieBundle(movie, shots, [Scene(0, 0.0, float(n), 0, n - 1)], 1, 1)


def _stage(store, bundle):
    d = store.staging_dir(bundle.movie.id) / "thumbs"
    d.mkdir(parents=True)
    for s in bundle.shots:
        for k in s.keyframes:
            (d / k.path).write_bytes(b"jpg")
    return d


def test_missing_library_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no cinesearch library"):
        open_store(tmp_path / "nothing")


def test_schema_version_and_wal(tmp_path):
    store = open_store(tmp_path / "lib", create=True)
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(tmp_path):
    store = open_store(tmp_path / "lib", create=True)
    store.close()
    conn = sqlite3.connect(tmp_path / "lib" / "catalogue.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        open_store(tmp_path / "lib")


def test_put_replace_remove_and_check(tmp_path, new_store):
    store = new_store(tmp_path / "lib")
    with store.writer():
        b = _bundle()
        store.put_movie(b, _stage(store, b))
        assert [s.index for s in store.get_shots("m")] == [0, 1, 2]
        assert store.check().ok
        b2 = _bundle(n=2, fp="f2")
        store.put_movie(b2, _stage(store, b2))
    assert len(store.get_shots("m")) == 2
    assert len(list((tmp_path / "lib" / "thumbs" / "m").iterdir())) == 1  # old run cleaned
    report = store.check()
    assert report.ok and not report.errors
    with store.writer():
        assert store.remove_movie("m")
    assert store.get_movie("m") is None and not (tmp_path / "lib" / "thumbs" / "m").exists()


def test_check_finds_damage(tmp_path):
    store = open_store(tmp_path / "lib", create=True)
    b = _bundle()
    with store.writer():
        store.put_movie(b, _stage(store, b))
    kf = store.get_shots("m")[1].keyframes[0]
    (tmp_path / "lib" / kf.path).unlink()
    store._conn.execute("UPDATE shots SET end_s = 1.5 WHERE idx = 0")
    errors = store.check().errors
    assert any("missing keyframe" in e for e in errors)
    assert any("gap or overlap" in e for e in errors)


def test_second_writer_is_refused(tmp_path, new_store):
    a = new_store(tmp_path / "lib")
    b = new_store(tmp_path / "lib", create=False)
    with a.writer(), pytest.raises(StoreError, match="another cinesearch process"), b.writer():
        pass


def test_failed_write_leaves_previous_version(tmp_path):
    store = open_store(tmp_path / "lib", create=True)
    b = _bundle()
    with store.writer():
        store.put_movie(b, _stage(store, b))
    bad = _bundle(n=2, fp="f2")
    bad.scenes = [Scene(0, 0.0, 1.0, 0, 0), Scene(0, 1.0, 2.0, 1, 1)]  # duplicate key: the insert fails
    with store.writer(), pytest.raises(sqlite3.IntegrityError):
        store.put_movie(bad, _stage(store, bad))
    assert len(store.get_shots("m")) == 3 and store.get_movie("m").fingerprint == "f1"
    assert store.check().ok


def test_old_library_is_migrated_in_place(tmp_path):
    from cinesearch.search.store.schema import MIGRATIONS, _statements

    lib = tmp_path / "lib"
    lib.mkdir()
    conn = sqlite3.connect(lib / "catalogue.sqlite")
    conn.execute("PRAGMA journal_mode=WAL")
    for stmt in _statements(MIGRATIONS[0]):
        conn.execute(stmt)
    conn.execute("INSERT INTO movies VALUES ('old', 'Old', NULL, '/v.mp4', 'h', 'f', 'fast', 1.0, 25, '{}', '{}',"
                 " 'thumbs/old/x', '2026-01-01')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = open_store(lib)
    assert sqlite3.connect(lib / "catalogue.sqlite").execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.get_movie("old").title == "Old" and store.get_texts("old") == []


def test_keyword_search_follows_every_write_and_removal(tmp_path, new_store):
    from cinesearch.search.store import TextSegment

    store = new_store(tmp_path / "lib")
    with store.writer():
        for mid, line in (("a", "The kites are dancing high above the beach."), ("b", "Bring the blue umbrella.")):
            bundle = _bundle(mid)
            bundle.texts = [TextSegment("subtitle", "x.srt", 0.2, 0.9, line, first_shot=0, last_shot=0)]
            store.put_movie(bundle, _stage(store, bundle))
        hits = store.text_search(["dance", "beach"], [], 10)            # Porter stemming: dance ~ dancing
        assert [store.lookup_texts([i])[i][0] for i, _ in hits] == ["a"]
        assert store.text_search(["umbrella"], ['"blue umbrella"'], 10, movie_id="a") == []
        assert len(store.text_search([], ['blue umbrella'], 10, movie_id="b")) == 1
        assert store.text_search(['x" OR body:*'], [], 10) == []         # user text never reaches FTS syntax
        bundle = _bundle("a", fp="f2")                                    # re-index "a" without texts
        store.put_movie(bundle, _stage(store, bundle))
        assert store.text_search(["kites"], [], 10) == []
        assert store.remove_movie("b")
        assert store.text_search(["umbrella"], [], 10) == []
    assert store.check().ok


def test_keyword_search_finds_words_of_other_languages_with_or_without_accents(tmp_path, new_store):
    """Both analysers (FTS5 unicode61 with diacritics folded; Elasticsearch standard + asciifolding)
    cut and fold any alphabetic language alike; a text with no vector is still found by its words."""
    from cinesearch.search.store import TextSegment

    store = new_store(tmp_path / "lib")
    lines = {"fr": "Le cortège quitte la capitale à l'aube.", "de": "Die Straßenbahn fährt über die Brücke.",
             "ru": "Поезд уходит в полночь.", "el": "Το πλοίο φεύγει αύριο."}
    with store.writer():
        for mid, line in lines.items():
            bundle = _bundle(mid)
            bundle.texts = [TextSegment("subtitle", "x.srt", 0.2, 0.9, line, first_shot=0, last_shot=0,
                                        extra={"lang": mid})]
            store.put_movie(bundle, _stage(store, bundle))

    def movies(words: list[str]) -> list[str]:
        return [store.lookup_texts([i])[i][0] for i, _ in store.text_search(words, [], 10)]

    assert movies(["cortège"]) == ["fr"] and movies(["cortege"]) == ["fr"] and movies(["CAPITALE"]) == ["fr"]
    assert movies(["Brücke"]) == ["de"] and movies(["brucke"]) == ["de"]
    assert movies(["полночь"]) == ["ru"] and movies(["πλοίο"]) == ["el"]


def test_describe_shots_reads_named_shots_of_the_committed_run_with_their_texts(tmp_path, new_store):
    from cinesearch.search.store import TextSegment

    store = new_store(tmp_path / "lib")
    with store.writer():
        for mid in ("a", "b"):
            bundle = _bundle(mid, n=4)
            bundle.texts = [TextSegment("concepts", "vision", 1.0, 2.0, f"objects: a kite ({mid})",
                                        first_shot=1, last_shot=1),
                            TextSegment("subtitle", "x.srt", 0.5, 2.5, "Across two shots.", first_shot=0, last_shot=2)]
            store.put_movie(bundle, _stage(store, bundle))
        bundle = _bundle("a", n=3, fp="f2")                  # "a" re-indexed: 3 shots, no texts
        store.put_movie(bundle, _stage(store, bundle))
    cards = store.describe_shots([("b", 1), ("a", 1), ("b", 3), ("a", 3), ("nope", 0), ("b", 1)])
    assert sorted(cards) == [("a", 1), ("b", 1), ("b", 3)]   # a's shot 3 and its texts went with the old run
    shot, texts = cards[("b", 1)]
    assert (shot.index, shot.start, shot.end) == (1, 1.0, 2.0) and shot.keyframes[0].path.endswith("/s1.jpg")
    assert shot.appearance is None                            # no vectors: a result card does not need them
    assert sorted(t.text for t in texts) == ["Across two shots.", "objects: a kite (b)"]
    assert all(t.vector is None for t in texts)
    assert cards[("a", 1)][1] == [] and [t.text for t in cards[("b", 3)][1]] == []
