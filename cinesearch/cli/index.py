"""`cinesearch index`: probe every movie first (bad input fails before the library is touched),
then index them one by one under the writer lock."""

from __future__ import annotations

import argparse
import sys

from cinesearch.cli.common import emit, open_library
from cinesearch.errors import EXIT_INPUT, EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("index", parents=[common], help="index movies or folders of movies (resumable)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--profile", choices=["fast", "full"], default="fast",
                   help="fast: PySceneDetect; full: TransNetV2 fused with it (slower on CPU)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cinesearch.indexer.errors import InputError
    from cinesearch.indexer.media import MediaInfo, probe
    from cinesearch.indexer.movie_spec import MovieSpec, discover
    from cinesearch.indexer.pipeline import Indexer

    errors: list[InputError] = []
    specs: list[tuple[MovieSpec, MediaInfo]] = []
    seen: dict[str, Path] = {}
    for item in discover(args.paths):
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
    outcomes = []
    if specs:
        store = open_library(args, create=True)
        try:
            with store.writer():
                store.collect_garbage()
                indexer = Indexer(store, args.profile, progress=not args.no_progress)
                for spec, info in specs:
                    try:
                        outcome = indexer.index(spec, info)
                    except InputError as exc:
                        errors.append(exc)
                        print(f"cinesearch: error: {exc}", file=sys.stderr)
                        continue
                    outcomes.append(outcome)
                    if not args.json:
                        print(outcome.summary(), file=sys.stderr)
        finally:
            store.close()
    emit(args, {"movies": [o.as_dict() for o in outcomes],
                "errors": [{"where": e.where, "message": e.message} for e in errors]}, "")
    return EXIT_INPUT if errors else EXIT_OK
