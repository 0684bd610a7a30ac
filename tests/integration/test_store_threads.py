"""Stores own their concurrency: many threads read one store (movies, shots, texts, keyword and
vector search) while a writer in the same process commits a movie again and again, on both
backends. Every read sees one committed version, never a mix, and nothing fails."""

from __future__ import annotations

import threading

import numpy as np

from cinesearch.search.store import Keyframe, Movie, MovieBundle, Retrieval, Scene, Shot, TextSegment, VectorKind

READERS = 6
ROUNDS = 6


def _bundle(n: int, version: int) -> MovieBundle:
    rng = np.random.default_rng(version)
    shots = []
    for i in range(n):
        v = rng.normal(size=1280).astype(np.float32)
        shots.append(Shot(i, float(i), i + 1.0, i * 25, (i + 1) * 25, [Keyframe(i + 0.5, i * 25 + 12, f"s{i}.jpg")],
                          v / np.linalg.norm(v)))
    texts = []
    for i in range(n):
        v = rng.normal(size=384).astype(np.float32)
        texts.append(TextSegment("subtitle", "a.srt", float(i), i + 0.9, f"lighthouse keeper line {i} v{version}",
                                 first_shot=i, last_shot=i, vector=v / np.linalg.norm(v)))
    movie = Movie(id="a", source="/v/a.mp4", content_hash="h", fingerprint=f"f{version}", profile="fast",
                  duration=float(n), n_frames=25 * n, media={}, meta={"title": "A"}, title="A")
    return MovieBundle(movie, shots, [Scene(0, 0.0, float(n), 0, n - 1)], 1, 1, texts=texts)


def _put(store, bundle: MovieBundle) -> None:
    d = store.staging_dir(bundle.movie.id) / "thumbs"
    d.mkdir(parents=True, exist_ok=True)
    for s in bundle.shots:
        for k in s.keyframes:
            (d / k.path).write_bytes(b"jpg")
    store.put_movie(bundle, d)


def test_readers_on_many_threads_while_a_writer_commits(new_store):
    store = new_store()
    sizes = {0: 5, 1: 9}   # version parity -> shot count: a read must see one of them, whole
    with store.writer():
        _put(store, _bundle(sizes[0], 0))
    query = np.ones((1, 1280), np.float32) / np.sqrt(1280)
    errors: list[BaseException] = []
    seen: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                shots = store.get_shots("a")
                assert len(shots) in sizes.values(), len(shots)
                assert [s.index for s in shots] == list(range(len(shots)))
                seen.add(len(shots))
                texts = store.get_texts("a", vectors=True)
                assert len({t.text.rsplit(" ", 1)[1] for t in texts}) == 1      # one version's texts
                movie = store.get_movie("a")
                assert movie is not None and [m.id for m in store.list_movies()] == ["a"]
                assert store.text_search(["lighthouse"], [], 3)
                _, ids = store.vector_search(VectorKind.APPEARANCE, query, 3)
                assert ids.shape[0] == 1
                store.retrieve([Retrieval("bm25", 3, words=("keeper",)), Retrieval("text", 3, vector=np.ones(384,
                                np.float32) / np.sqrt(384))])
                store.generation()
        except BaseException as exc:  # noqa: BLE001  # any failure, asserts included, is reported by the main thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for t in threads:
        t.start()
    try:
        with store.writer():
            for version in range(1, ROUNDS + 1):
                _put(store, _bundle(sizes[version % 2], version))
                if errors:
                    break
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, repr(errors[0])
    assert len(store.get_shots("a")) == sizes[ROUNDS % 2]
    assert store.check().ok


def test_a_misspelt_vector_kind_is_a_type_error_not_an_empty_answer(new_store):
    import pytest

    store = new_store()
    with pytest.raises(TypeError, match="unknown vector kind 'apperance'"):
        store.vector_search("apperance", np.ones((1, 1280), np.float32), 3)
    with pytest.raises(TypeError, match="unknown vector kind"):
        Retrieval("txt", 3, vector=np.ones(384, np.float32))
