"""Copy a library from one backend into an Elasticsearch library (`cinesearch migrate`).

Everything is read through the store interface and written into fresh physical indices; the
aliases move to them in one request at the end, so a reader sees the cluster's previous library
or the complete copy, never part of it. The thumbnails stay where they are: both backends address
them relative to the same library folder.
"""

from __future__ import annotations

from collections.abc import Callable

from cinesearch.search.store.base import Store
from cinesearch.search.store.elastic import ElasticsearchStore, run_key
from cinesearch.search.store.records import MovieBundle


def read_bundle(src: Store, movie_id: str) -> MovieBundle:
    """One committed movie as the indexer wrote it. Source size/mtime are unknown here (0): the
    copy gets no file-hash cache entry, so the next index run hashes the video once."""
    movie = src.get_movie(movie_id)
    if movie is None:
        raise KeyError(movie_id)
    return MovieBundle(movie=movie, shots=src.get_shots(movie_id), scenes=src.get_scenes(movie_id),
                       texts=src.get_texts(movie_id, vectors=True), tracks=src.get_tracks(movie_id),
                       characters=src.get_characters(movie_id), source_size=0, source_mtime_ns=0)


def copy_library(src: Store, dst: ElasticsearchStore,
                 progress: Callable[[str, int], None] | None = None) -> list[str]:
    """Replace dst's library with src's movies; returns the ids copied."""
    ids = [m.id for m in src.list_movies()]

    def fill(target: ElasticsearchStore) -> None:
        for movie_id in ids:
            bundle = read_bundle(src, movie_id)
            target.write_bundle(bundle, run_key(bundle), bundle.movie.thumbs_dir)
            if progress is not None:
                progress(movie_id, len(bundle.shots))

    dst.rebuild(fill)
    return ids
