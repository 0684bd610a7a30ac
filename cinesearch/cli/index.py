"""`cinesearch index`: probe every movie first (bad input fails before the library is touched),
then index them under the writer lock: one by one, or with `--jobs N` built by N worker
processes and written here, one at a time, as each is done."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cinesearch.cli.common import emit, open_library, store_options, whole_number
from cinesearch.errors import EXIT_INPUT, EXIT_OK

if TYPE_CHECKING:   # the indexer is imported when the command runs (other commands start faster)
    from cinesearch.indexer.errors import InputError
    from cinesearch.indexer.media import MediaInfo
    from cinesearch.indexer.movie_spec import MovieSpec
    from cinesearch.indexer.pipeline import Built, Indexer


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("index", parents=[common], help="index movies or folders of movies (resumable)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--profile", choices=["fast", "full"], default="fast",
                   help="fast: PySceneDetect; full: TransNetV2 fused with it (slower on CPU)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.add_argument("--jobs", type=whole_number(1, 64), default=1, metavar="N",
                   help="movies built at once, each in its own process with its share of the cores (default 1)")
    p.add_argument("--languages", type=_languages, default=None, metavar="LANGS",
                   help="preferred languages, in order, for subtitles and the audio stream, such as en,fr "
                        "(default: English, then any)")
    p.add_argument("--extras", action="store_true",
                   help="also index trailers and other extras as movies of their own (linked to their film)")
    p.add_argument("--strict", action="store_true",
                   help="a side file that cannot be used (a bad NFO, actor photo or subtitle stream) fails its "
                        "movie instead of being skipped")
    p.set_defaults(func=cmd_index)


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
    outcomes = []
    if specs:
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
                "errors": [{"where": e.where, "message": e.message} for e in errors]}, "")
    return EXIT_INPUT if errors else EXIT_OK


def _built_here(indexer: Indexer, spec: MovieSpec, info: MediaInfo) -> Built | InputError:
    """Build in this process; a bad movie becomes its error, as from a worker."""
    from cinesearch.indexer.errors import InputError

    try:
        return indexer.build(spec, info)
    except InputError as exc:
        return exc
