"""What runs on a Ray worker (`cinesearch index --ray`): one task per movie, `index_movie`, and
the batch ledger the tasks report to. Plain Python: `indexer.ray_batch` wraps them with Ray, so
this module imports Ray only inside a task.

A worker process keeps one Indexer (its models loaded once) per library and profile, and Ray
reuses the process for movie after movie. With a backend that has a server (Elasticsearch) the
worker writes the movie itself, atomically as always; with the embedded backend (one SQLite file,
one writer) it hands the built movie back and the driver writes it."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cinesearch import settings
from cinesearch.errors import Unavailable, UserError
from cinesearch.indexer.errors import InputError
from cinesearch.indexer.media import MediaInfo
from cinesearch.indexer.movie_spec import MovieSpec
from cinesearch.indexer.pipeline import Built, Indexer, Outcome


@dataclass(frozen=True)
class MovieJob:
    """One movie of the batch, as the driver probed it."""
    spec: MovieSpec
    info: MediaInfo
    root: str                      # the library folder, at the same path on every node
    options: dict[str, Any]        # open_store options (backend, es_url, es_prefix)
    profile: str
    languages: tuple[str, ...]
    commit: bool                   # write it here (a server backend) or hand it back (embedded)


@dataclass
class MovieDone:
    """A task's answer. A movie that fails for its own reason is an answer too (`where` and
    `message`), never an exception: Ray retries lost workers, not bad films."""
    movie_id: str
    node: str
    outcome: Outcome | None = None
    built: Built | None = None
    where: str = ""
    message: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.message)


@dataclass
class Ledger:
    """The batch's own account of attempts and of who is working now (a Ray actor on the
    driver's side): a movie started twice was retried after its worker was lost."""
    attempts: dict[str, int] = field(default_factory=dict)
    running: dict[str, tuple[str, int]] = field(default_factory=dict)   # movie -> (node, pid)

    def started(self, movie_id: str, node: str, pid: int) -> None:
        self.attempts[movie_id] = self.attempts.get(movie_id, 0) + 1
        self.running[movie_id] = (node, pid)

    def finished(self, movie_id: str) -> None:
        self.running.pop(movie_id, None)

    def snapshot(self) -> tuple[dict[str, int], dict[str, tuple[str, int]]]:
        return dict(self.attempts), dict(self.running)


_indexers: dict[tuple[str, str, str, tuple[str, ...], int], Indexer] = {}   # per worker process


def worker_threads(assigned: dict[str, float]) -> int:
    """The cores Ray gave this task, as the worker's CPU threads (at least one)."""
    return max(1, int(assigned.get("CPU", 1)))


def _indexer(job: MovieJob, threads: int) -> Indexer:
    """This process's Indexer for the job's library and profile: models load on the first movie
    and stay loaded for the next."""
    from cinesearch.search.store import open_store

    key = (job.root, repr(sorted(job.options.items())), job.profile, job.languages, threads)
    indexer = _indexers.get(key)
    if indexer is None:
        settings.export("CINESEARCH_THREADS", str(threads))
        try:
            store = open_store(Path(job.root), **job.options)
        except (UserError, Unavailable) as exc:
            raise InputError(job.root, f"the library cannot be opened on this node ({exc}); every node must see "
                                       "the library folder at the same path") from None
        indexer = _indexers[key] = Indexer(store, job.profile, progress=False, languages=job.languages)
    return indexer


def _readable(path: Path, node: str) -> None:
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise InputError(str(path), f"node {node} cannot read it ({exc.strerror or exc}); every node must see the "
                                    "media at the same path (a shared filesystem or bucket mounted alike)") from None


def index_movie(job: MovieJob, ledger: Any = None) -> MovieDone:
    """The Ray task: build one movie (resuming its staging if an earlier attempt died) and write
    it, or hand it back to the driver to write."""
    import ray

    context = ray.get_runtime_context()
    node = ray.util.get_node_ip_address()
    movie_id = job.spec.id
    if ledger is not None:   # waited for: a worker killed right after must still have counted
        with contextlib.suppress(Exception):
            ray.get(ledger.started.remote(movie_id, node, os.getpid()), timeout=30)
    try:
        _readable(job.spec.video, node)
        indexer = _indexer(job, worker_threads(context.get_assigned_resources()))
        built = indexer.build(job.spec, job.info)
        if not job.commit:
            return MovieDone(movie_id, node, built=built)
        return MovieDone(movie_id, node, outcome=indexer.commit(built))
    except InputError as exc:
        return MovieDone(movie_id, node, where=exc.where, message=exc.message)
    except (UserError, Unavailable) as exc:   # the store refused or is down: reported, not retried
        return MovieDone(movie_id, node, where=str(job.spec.video), message=str(exc))
    finally:
        if ledger is not None:
            ledger.finished.remote(movie_id)
