"""`cinesearch index --ray`: the driver's side. It holds the library's writer lock for the batch,
submits one Ray task per movie and reports each as it ends, with one progress bar.

Which process writes depends on the backend: with Elasticsearch every worker writes its movies
itself (the server takes writes from many machines); with the embedded backend (one SQLite file)
workers hand each built movie back and this process writes them one at a time."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import TYPE_CHECKING

from cinesearch.cli.common import open_library, store_options

if TYPE_CHECKING:
    from cinesearch.indexer.errors import InputError
    from cinesearch.indexer.media import MediaInfo
    from cinesearch.indexer.movie_spec import MovieSpec
    from cinesearch.indexer.pipeline import Outcome


def index_on_ray(args: argparse.Namespace, specs: list[tuple[MovieSpec, MediaInfo]], languages: tuple[str, ...],
                 outcomes: list[Outcome], errors: list[InputError]) -> list[str]:
    """Index `specs` on the cluster named by --ray; fills `outcomes` and `errors`, returns the ids
    of the movies whose worker was lost and that were retried."""

    retried: list[str] = []
    # Ray prints its workers' lines and its own (a lost worker, ...) on this process's stdout:
    # they belong on stderr, where --json leaves stdout to the summary
    with contextlib.redirect_stdout(sys.stderr):
        _run(args, specs, languages, outcomes, errors, retried)
    return retried


def _run(args: argparse.Namespace, specs: list[tuple[MovieSpec, MediaInfo]], languages: tuple[str, ...],
         outcomes: list[Outcome], errors: list[InputError], retried: list[str]) -> None:
    from cinesearch.indexer.errors import InputError
    from cinesearch.indexer.pipeline import Indexer
    from cinesearch.indexer.ray_batch import BatchProgress, connect, gpus_per_movie, run_batch

    ray, cluster = connect(args.ray or None)   # a cluster that cannot be joined fails before the library is touched
    try:
        store = open_library(args, create=True)
        try:
            with store.writer():
                store.collect_garbage()
                here = store.backend == "embedded"
                writer = Indexer(store, args.profile, progress=False, languages=languages) if here else None
                bar = BatchProgress(specs, cluster, enabled=not args.no_progress)
                t0 = time.perf_counter()
                batch = run_batch(ray, specs, root=str(store.root), options=store_options(args), profile=args.profile,
                                  languages=languages, commit_in_workers=not here, retries=args.ray_retries,
                                  cpus=args.ray_cpus, gpus=gpus_per_movie(cluster, args.ray_gpus), progress=bar)
                for finished in batch:
                    bar.mark(finished.spec.id)
                    if finished.attempts > 1:
                        retried.append(finished.spec.id)
                    done = finished.done
                    if done.failed:
                        err = InputError(done.where, done.message)
                        errors.append(err)
                        bar.bar.write(f"cinesearch: error: {err}", file=sys.stderr)
                        continue
                    outcome = writer.commit(done.built) if writer is not None and done.built is not None \
                        else done.outcome
                    assert outcome is not None, "a task answered neither a movie nor an error"
                    outcomes.append(outcome)
                    if not args.json:
                        bar.bar.write(outcome.summary() + (f" [node {done.node}, attempt {finished.attempts}]"
                                                           if finished.attempts > 1 else ""), file=sys.stderr)
                bar.close()
                wall = time.perf_counter() - t0
                video = sum(o.duration for o in outcomes if o.status != "unchanged")
                print(f"ray: {len(outcomes)} done, {len(errors)} failed, {len(retried)} retried on {cluster.nodes} "
                      f"node(s), {cluster.cpus:g} CPUs; {video / 3600:.3f} h of video in {wall:.1f} s", file=sys.stderr)
        finally:
            store.close()
    finally:
        ray.shutdown()
