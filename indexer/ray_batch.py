"""Index a batch of movies on a Ray cluster (`cinesearch index --ray [ADDRESS]`): one task per
movie, longest first, each on a worker that keeps its models between movies.

Faults: a worker lost mid-movie (killed, out of memory, its node gone) is retried by Ray up to
`retries` times, and the retry resumes the movie's staging folder; its ids are deterministic, so
it is written exactly once. A movie that fails for its own reason (a corrupt file) comes back as
an answer and is never retried. Ray is optional: without it `--ray` says what to install.

Chunks of one long movie are not split over workers: shots, scenes and face tracks follow the
film from start to end, and an archive has far more movies than workers, so one task per movie
keeps every worker busy without stitching."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cinesearch import settings
from cinesearch.errors import Unavailable, UserError
from cinesearch.indexer.media import MediaInfo
from cinesearch.indexer.movie_spec import MovieSpec
from cinesearch.indexer.ray_worker import Ledger, MovieDone, MovieJob, index_movie

INSTALL = "pip install 'cinesearch[ray]'"


class RayMissing(UserError):
    """--ray without Ray installed."""


@dataclass
class Cluster:
    address: str              # what the driver joined ("local" when it started one)
    nodes: int
    cpus: float
    gpus: float

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "nodes": self.nodes, "cpus": self.cpus, "gpus": self.gpus}


@dataclass
class Finished:
    """One movie of the batch at its end: the task's answer, and how many attempts it took."""
    spec: MovieSpec
    done: MovieDone
    attempts: int


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissing(f"--ray needs Ray, which is not installed: {INSTALL}") from None
    return ray


def is_ray_address(text: str) -> bool:
    """`auto`, `local`, `HOST:PORT` or `ray://HOST:PORT` (anything else after --ray is a path)."""
    return text in ("auto", "local") or re.fullmatch(r"(ray://)?[\w.\-]+:\d{1,5}|(ray://)?\[[0-9a-fA-F:]+\]:\d{1,5}",
                                                     text) is not None


def connect(address: str | None) -> tuple[Any, Cluster]:
    """Join the cluster at `address` (`auto`, `HOST:PORT`, `ray://HOST:10001`), or start one on
    this machine when None. Tasks run with this process's cinesearch settings."""
    ray = import_ray()
    if address not in (None, "local", "auto"):
        _answers(address)
    env = {"env_vars": settings.forwarded(but=("CINESEARCH_THREADS",))}
    kwargs: dict[str, Any] = {"runtime_env": env, "logging_level": logging.WARNING, "configure_logging": True}
    try:
        if address in (None, "local"):
            ray.init(address="local", include_dashboard=False, num_cpus=settings.get().threads, **kwargs)
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise Unavailable(f"cannot join the Ray cluster at {address}: {str(exc).splitlines()[0]}") from None
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    resources = ray.cluster_resources()
    return ray, Cluster(address or "local", len(nodes), float(resources.get("CPU", 0)),
                        float(resources.get("GPU", 0)))


def _answers(address: str) -> None:
    """Fail in seconds, with one line, where nothing listens at the address (ray.init would
    retry for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except (OSError, ValueError) as exc:
        raise Unavailable(f"cannot join the Ray cluster at {address}: nothing answers there "
                          f"({getattr(exc, 'strerror', None) or exc}); start it with 'ray start --head' "
                          "or check the address") from None


def gpus_per_movie(cluster: Cluster, asked: float | None) -> float:
    """GPUs a movie's task asks for: as asked, else one where the cluster has GPUs and the device
    setting does not force the CPU."""
    if asked is not None:
        return asked
    return 1.0 if cluster.gpus > 0 and (settings.get().device or "cuda") != "cpu" else 0.0


def lost_message(attempts: int, exc: BaseException) -> str:
    kind = type(exc).__name__
    return (f"the worker building it was lost {attempts} time(s) ({kind}: killed, out of memory or its node "
            f"gone); what it staged is kept: index again to resume")


def run_batch(ray: Any, specs: Sequence[tuple[MovieSpec, MediaInfo]], *, root: str, options: dict[str, Any],
              profile: str, languages: tuple[str, ...], commit_in_workers: bool, retries: int, cpus: float,
              gpus: float, progress: Any = None) -> Iterator[Finished]:
    """Submit every movie, longest first, and yield each as it finishes. `progress(done, running,
    attempts)` is called about once a second with the ledger's view (for the progress bar)."""
    ledger = ray.remote(num_cpus=0)(Ledger).remote()
    # max_calls=0: the worker process (and its models) stays for the next movie, GPU tasks too
    task = ray.remote(max_calls=0)(index_movie).options(num_cpus=cpus, num_gpus=gpus, max_retries=retries,
                                                         retry_exceptions=False)
    ordered = sorted(specs, key=lambda item: -item[1].duration)
    refs = {task.remote(MovieJob(spec, info, root, options, profile, languages, commit_in_workers), ledger): spec
            for spec, info in ordered}
    pending = list(refs)
    attempts: dict[str, int] = {}
    running: dict[str, tuple[str, int]] = {}
    last = 0.0
    while pending:
        ready, pending = ray.wait(pending, num_returns=1, timeout=1.0)
        if time.monotonic() - last >= 1.0 or ready:
            with contextlib.suppress(Exception):   # the ledger is for reports only; the batch goes on
                attempts, running = ray.get(ledger.snapshot.remote(), timeout=10)
            last = time.monotonic()
        for ref in ready:
            spec = refs[ref]
            tries = max(1, attempts.get(spec.id, 1))
            try:
                done: MovieDone = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:   # a bug inside the task: its first line
                cause = str(exc.cause if getattr(exc, "cause", None) else exc).strip().splitlines()
                done = MovieDone(spec.id, "", where=str(spec.video), message=f"failed: {cause[-1] if cause else exc}")
            except ray.exceptions.RayError as exc:        # the worker or its node was lost, retries spent
                done = MovieDone(spec.id, "", where=str(spec.video), message=lost_message(tries, exc))
            running.pop(spec.id, None)
            yield Finished(spec, done, tries)
        if progress is not None:
            waiting = {refs[r].id for r in pending}
            progress(len(refs) - len(pending), {k: v for k, v in running.items() if k in waiting}, attempts)


class BatchProgress:
    """One bar over the batch on stderr: movies done, video hours done, workers busy, retries."""

    def __init__(self, specs: Sequence[tuple[MovieSpec, MediaInfo]], cluster: Cluster, enabled: bool):
        from tqdm import tqdm

        self.hours = {spec.id: info.duration / 3600 for spec, info in specs}
        self.total = sum(self.hours.values())
        self.nodes = cluster.nodes
        self.finished: set[str] = set()
        self.bar = tqdm(total=len(specs), unit="movie", file=sys.stderr, disable=not enabled, desc="ray",
                        dynamic_ncols=True)

    def mark(self, movie_id: str) -> None:
        self.finished.add(movie_id)

    def __call__(self, done: int, running: dict[str, tuple[str, int]], attempts: dict[str, int]) -> None:
        self.bar.update(done - self.bar.n)
        retried = sum(1 for n in attempts.values() if n > 1)
        nodes = len({node for node, _ in running.values()})
        done_h = sum(h for k, h in self.hours.items() if k in self.finished)
        video = f"{done_h:.2f}/{self.total:.2f} h" if self.total >= 1 else \
            f"{done_h * 60:.1f}/{self.total * 60:.1f} min"
        self.bar.set_postfix_str(f"{video} of video, {len(running)} workers on {nodes}/{self.nodes} nodes"
                                 + (f", {retried} retried" if retried else ""), refresh=False)

    def close(self) -> None:
        self.bar.close()
