"""`cinesearch index`: probe every movie first (bad input fails before the library is touched),
then index them under the writer lock: one by one, with `--jobs N` built by N worker
processes and written here, one at a time, as each is done, or with `--ray` on a Ray cluster
(cli.index_ray)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cinesearch.cli.common import UsageError, emit, open_library, store_options, whole_number
from cinesearch.errors import EXIT_INPUT, EXIT_OK

if TYPE_CHECKING:   # the indexer is imported when the command runs (other commands start faster)
    from cinesearch.indexer.errors import InputError
    from cinesearch.indexer.media import MediaInfo
    from cinesearch.indexer.movie_spec import MovieSpec
    from cinesearch.indexer.pipeline import Built, Indexer, Outcome


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("index", parents=[common], help="index movies or folders of movies (resumable)")
    p.add_argument("paths", nargs="*", metavar="PATH")   # "+", checked in cmd_index (see --ray)
    p.add_argument("--profile", choices=["fast", "full"], default="fast",
                   help="fast: PySceneDetect; full: TransNetV2 fused with it (slower on CPU)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.add_argument("--jobs", type=whole_number(1, 64), default=1, metavar="N",
                   help="movies built at once, each in its own process with its share of the cores (default 1)")
    ray = p.add_argument_group("scale-out (Ray)")
    ray.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                     help="index on a Ray cluster, one task per movie: ADDRESS is auto, HOST:PORT or "
                          "ray://HOST:10001; without it a cluster is started on this machine. Every node must "
                          "see the media and the library folder at the same paths "
                          "(pip install 'cinesearch[ray]')")
    ray.add_argument("--ray-retries", type=whole_number(0, 20), default=3, metavar="N",
                     help="times a movie is retried when its worker is lost (default 3)")
    ray.add_argument("--ray-cpus", type=_positive, default=1.0, metavar="N",
                     help="CPUs each movie's task asks Ray for; its worker uses as many threads (default 1)")
    ray.add_argument("--ray-gpus", type=_fraction, default=None, metavar="N",
                     help="GPUs each movie's task asks for (default: 1 when the cluster has GPUs and "
                          "CINESEARCH_DEVICE is not cpu, else 0)")
    p.add_argument("--languages", type=_languages, default=None, metavar="LANGS",
                   help="preferred languages, in order, for subtitles and the audio stream, such as en,fr "
                        "(default: English, then any)")
    p.add_argument("--extras", action="store_true",
                   help="also index trailers and other extras as movies of their own (linked to their film)")
    p.add_argument("--strict", action="store_true",
                   help="a side file that cannot be used (a bad NFO, actor photo or subtitle stream) fails its "
                        "movie instead of being skipped")
    p.set_defaults(func=cmd_index)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1024:
        raise argparse.ArgumentTypeError("must be above 0 and at most 1024")
    return value


def _fraction(text: str) -> float:
    value = 0.0 if text.strip() == "0" else _positive(text)
    return value


def _languages(text: str) -> tuple[str, ...]:
    from cinesearch.indexer.languages import parse_preference

    try:
        return parse_preference(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_index(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cinesearch.indexer.errors import InputError
    from cinesearch.indexer.library_import import discover
    from cinesearch.indexer.media import probe
    from cinesearch.indexer.pipeline import Indexer
    from cinesearch.indexer.workers import build_in_workers

    if args.ray is not None:
        from cinesearch.indexer.ray_batch import import_ray, is_ray_address

        if args.ray and not is_ray_address(args.ray):   # `--ray FILM ...`: the optional value took a path
            args.paths, args.ray = [args.ray, *args.paths], ""
        if args.jobs > 1:
            raise UsageError("cinesearch index: --jobs and --ray do not go together (Ray places the movies)")
        import_ray()   # fail before any work: one line that says what to install
    if not args.paths:
        raise UsageError("cinesearch index: the following arguments are required: PATH")
    errors: list[InputError] = []
    specs: list[tuple[MovieSpec, MediaInfo]] = []
    seen: dict[str, Path] = {}
    from cinesearch.indexer.languages import DEFAULT_PREFERENCE

    languages = args.languages or DEFAULT_PREFERENCE
    for item in discover(args.paths, extras=args.extras, strict=args.strict):
        if isinstance(item, InputError):
            errors.append(item)
        elif item.id in seen:
            errors.append(InputError(str(item.video), f"movie id {item.id!r} is also the id of {seen[item.id]}; "
                                                      f"give one of them an \"id\" in movie.json"))
        else:
            try:
                info = probe(item.video)  # fail fast, before the library is touched
            except InputError as exc:
                errors.append(exc)
                continue
            seen[item.id] = item.video
            specs.append((item, info))
    for err in errors:
        print(f"cinesearch: error: {err}", file=sys.stderr)
    outcomes: list[Outcome] = []
    retried: list[str] = []
    if specs and args.ray is not None:
        from cinesearch.cli.index_ray import index_on_ray

        retried = index_on_ray(args, specs, languages, outcomes, errors)
    elif specs:
        store = open_library(args, create=True)
        try:
            with store.writer():
                store.collect_garbage()
                indexer = Indexer(store, args.profile, progress=not args.no_progress and args.jobs == 1,
                                  languages=languages)
                if args.jobs > 1 and len(specs) > 1:
                    built = build_in_workers(specs, min(args.jobs, len(specs)), store.root, store_options(args),
                                             args.profile, languages)
                else:
                    built = ((spec, _built_here(indexer, spec, info)) for spec, info in specs)
                for _spec, result in built:
                    if isinstance(result, InputError):
                        errors.append(result)
                        print(f"cinesearch: error: {result}", file=sys.stderr)
                        continue
                    outcome = indexer.commit(result)
                    outcomes.append(outcome)
                    if not args.json:
                        print(outcome.summary(), file=sys.stderr)
        finally:
            store.close()
    emit(args, {"movies": [o.as_dict() for o in outcomes],
                "errors": [{"where": e.where, "message": e.message} for e in errors],
                "summary": batch_summary(outcomes, errors, retried)}, "")
    return EXIT_INPUT if errors else EXIT_OK


def batch_summary(outcomes: list[Outcome], errors: list[InputError], retried: list[str]) -> dict[str, list[str]]:
    """The batch at a glance: movie ids by what happened to them, failed movies by file."""
    out: dict[str, list[str]] = {k: [] for k in ("indexed", "updated", "resumed", "unchanged")}
    for o in outcomes:
        out.setdefault(o.status, []).append(o.movie_id)
    return out | {"failed": [e.where for e in errors], "retried": sorted(retried)}


def _built_here(indexer: Indexer, spec: MovieSpec, info: MediaInfo) -> Built | InputError:
    """Build in this process; a bad movie becomes its error, as from a worker."""
    from cinesearch.indexer.errors import InputError

    try:
        return indexer.build(spec, info)
    except InputError as exc:
        return exc
