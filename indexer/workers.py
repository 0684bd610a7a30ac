"""Several movies at once (`cinesearch index --jobs N`): worker processes build movies (decode,
models, staging folder) while the calling process, the one writer, writes each as it is done.

Each worker loads its models once and builds movie after movie; it gets its share of the cores
(CINESEARCH_THREADS divided by the jobs), so N workers never ask for more threads than there
are cores. Workers only read the store; the writer lock stays with the caller."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from cinesearch import settings
from cinesearch.indexer.errors import InputError
from cinesearch.indexer.languages import DEFAULT_PREFERENCE
from cinesearch.indexer.media import MediaInfo
from cinesearch.indexer.movie_spec import MovieSpec
from cinesearch.indexer.pipeline import Built, Indexer
from cinesearch.models.device import compute_threads

_indexer: Indexer | None = None   # one per worker process


def _start(root: Path, options: dict[str, Any], profile: str, threads: int, languages: tuple[str, ...]) -> None:
    from cinesearch.search.store import open_store

    global _indexer
    settings.export("CINESEARCH_THREADS", str(threads))
    _indexer = Indexer(open_store(root, **options), profile, progress=False, languages=languages)


def _build(spec: MovieSpec, info: MediaInfo) -> Built:
    assert _indexer is not None, "the worker was not started"
    return _indexer.build(spec, info)


def build_in_workers(specs: Sequence[tuple[MovieSpec, MediaInfo]], jobs: int, root: Path,
                     options: dict[str, Any], profile: str, languages: tuple[str, ...] = DEFAULT_PREFERENCE
                     ) -> Iterator[tuple[MovieSpec, Built | InputError]]:
    """Each movie built in one of `jobs` worker processes, yielded as it is done (a bad movie as
    its InputError, so the others go on). A worker that dies (killed, out of memory) fails the
    movies not yet built with the pool's error; what was staged stays there, to be resumed."""
    threads = max(1, compute_threads() // jobs)
    # spawn, not fork: the caller has threads (and maybe loaded libraries) a fork would copy half-made
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start,
                             initargs=(root, options, profile, threads, languages)) as pool:
        # longest first: a long film started last would finish alone, long after the others
        ordered = sorted(specs, key=lambda item: -item[1].duration)
        futures = {pool.submit(_build, spec, info): spec for spec, info in ordered}
        for future in as_completed(futures):
            spec = futures[future]
            try:
                yield spec, future.result()
            except InputError as exc:
                yield spec, exc
            except BrokenExecutor as exc:   # a worker was killed (out of memory, a signal)
                yield spec, InputError(str(spec.video), f"the worker building it stopped ({exc or 'killed'}); "
                                                        f"what it staged is kept: index again to resume")
