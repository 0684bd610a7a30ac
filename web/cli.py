"""The `cinesearch` command line: the composition root that wires the indexer to a store.

Contract (DESIGN.md): --json prints machine-readable output to stdout; logs and progress go to
stderr. Exit codes: 0 success, 2 usage or input error (one line on stderr), 1 internal error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, as the contract says
        raise UsageError(f"{self.prog}: {message}")


def _library_default() -> str:
    return os.environ.get("CINESEARCH_LIBRARY") or "library"


EXPORT_HELP = "also write the clips as selects: FILE.edl (CMX 3600), FILE.otio (OpenTimelineIO) or FILE.csv"


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", default=argparse.SUPPRESS,
                        help="library folder (default: $CINESEARCH_LIBRARY, else ./library)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable output on stdout")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    common.add_argument("--backend", choices=["embedded", "elasticsearch"], default=argparse.SUPPRESS,
                        help="where the catalogue lives (default: $CINESEARCH_BACKEND, else what the library "
                             "folder remembers, else embedded)")
    common.add_argument("--es-url", default=argparse.SUPPRESS, metavar="URL",
                        help="Elasticsearch URL (default: $CINESEARCH_ES_URL, else http://127.0.0.1:9200)")
    common.add_argument("--es-prefix", default=argparse.SUPPRESS, metavar="NAME",
                        help="name prefix of the library's indices (default: cinesearch)")

    parser = _Parser(prog="cinesearch", description="Semantic search for movies.", parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("index", parents=[common], help="index movies or folders of movies (resumable)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--profile", choices=["fast", "full"], default="fast",
                   help="fast: PySceneDetect; full: TransNetV2 fused with it (slower on CPU)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")

    sub.add_parser("movies", parents=[common], help="list the indexed movies")
    for name, what in (("shots", "the shots of a movie"), ("scenes", "the scenes of a movie")):
        q = sub.add_parser(name, parents=[common], help=f"list {what}")
        q.add_argument("movie_id", metavar="MOVIE_ID")
    q = sub.add_parser("remove", parents=[common], help="remove a movie from the library")
    q.add_argument("movie_id", metavar="MOVIE_ID")
    q = sub.add_parser("search", parents=[common], help="find clips by sentence, paragraph, tag or cast",
                       description='QUERY may carry tag:NAME, cast:NAME, movie:ID and "exact phrases" inline.')
    q.add_argument("query", nargs="?", default="", metavar="QUERY")
    q.add_argument("--tags", default="", help="comma-separated tags (genres, keywords, places, actions)")
    q.add_argument("--cast", default="", help="comma-separated character or actor names")
    q.add_argument("--face", type=Path, help="a face photo: every appearance of that person (JPEG, PNG, ...)")
    q.add_argument("--movie", action="append", default=[], metavar="ID", help="only this movie (repeatable)")
    q.add_argument("--limit", type=int, default=10, help="most clips to return (1-100, default 10)")
    q.add_argument("--export", type=Path, metavar="FILE", help=EXPORT_HELP)
    q = sub.add_parser("similar", parents=[common], help="more like this: the shots that look like a given shot",
                       description="Shots of the whole library that look like shot SHOT of MOVIE_ID (numbers as "
                                   "'cinesearch shots' lists them), by appearance and, with CLIP, by image.")
    q.add_argument("movie_id", metavar="MOVIE_ID")
    q.add_argument("shot", type=int, metavar="SHOT")
    q.add_argument("--movie", action="append", default=[], metavar="ID", help="only in this movie (repeatable)")
    q.add_argument("--limit", type=int, default=10, help="most shots to return (1-100, default 10)")
    q.add_argument("--export", type=Path, metavar="FILE", help=EXPORT_HELP)
    q = sub.add_parser("serve", parents=[common], help="serve the search page and the JSON API")
    q.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    q.add_argument("--port", type=int, default=8000)
    q = sub.add_parser("migrate", parents=[common], help="copy the library into Elasticsearch",
                       description="Copy every movie of the library (read with --backend, default embedded) into "
                                   "an Elasticsearch library (--es-url, --es-prefix); the aliases switch to the copy "
                                   "when it is complete, and the folder then defaults to Elasticsearch.")
    q.add_argument("--to", choices=["elasticsearch"], required=True)
    q.add_argument("--replicas", type=int, default=None, help="replicas per shard (default: $CINESEARCH_ES_REPLICAS "
                                                              "or 0)")
    q.add_argument("--shards", type=int, default=None, help="primary shards of shots and texts (default 1)")
    q = sub.add_parser("check", parents=[common], help="check the library's integrity")
    q.add_argument("--fix", action="store_true", help="also delete leftovers no movie refers to")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    args.library = getattr(args, "library", None) or _library_default()
    args.json = getattr(args, "json", False)
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from indexer.errors import InputError
    from search.store import StoreError

    try:
        return COMMANDS[args.command](args)
    except (InputError, StoreError, UsageError) as exc:
        print(f"cinesearch: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:   # the reader of stdout went away (`| head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("cinesearch: interrupted (rerun to resume)", file=sys.stderr)
        return 130
    except Exception as exc:
        logging.getLogger("cinesearch").debug("internal error", exc_info=True)
        print(f"cinesearch: internal error: {type(exc).__name__}: {exc} (rerun with -v for details)",
              file=sys.stderr)
        if verbose:
            raise
        return EXIT_INTERNAL


def _emit(args, data, human: str) -> None:
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif human:
        print(human)


def _store_options(args) -> dict[str, str | None]:
    return {k: getattr(args, k, None) for k in ("backend", "es_url", "es_prefix")}


def _open(args, create: bool = False):
    from search.store import open_store

    return open_store(Path(args.library), create=create, **_store_options(args))


def _fmt_time(t: float) -> str:
    m, s = divmod(t, 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{s:06.3f}" if h else f"{m:02d}:{s:06.3f}"


# -- commands --------------------------------------------------------------------------------------
def cmd_index(args) -> int:
    from indexer.errors import InputError
    from indexer.media import MediaInfo, probe
    from indexer.movie_spec import MovieSpec, discover
    from indexer.pipeline import Indexer

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
    for exc in errors:
        print(f"cinesearch: error: {exc}", file=sys.stderr)
    outcomes = []
    if specs:
        store = _open(args, create=True)
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
                        speed = outcome.duration / outcome.seconds if outcome.seconds else 0
                        extra = "" if outcome.status == "unchanged" else \
                            f" ({outcome.duration:.1f} s of video in {outcome.seconds:.1f} s, {speed:.1f}x real time)"
                        stages = ", ".join(f"{k} {v}" for k, v in outcome.stages.items())
                        print(f"{outcome.status} {outcome.movie_id}: {outcome.shots} shots, "
                              f"{outcome.scenes} scenes{extra}" + (f" [{stages}]" if stages else ""), file=sys.stderr)
        finally:
            store.close()
    _emit(args, {"movies": [o.as_dict() for o in outcomes],
                 "errors": [{"where": e.where, "message": e.message} for e in errors]}, "")
    return EXIT_INPUT if errors else EXIT_OK


def cmd_movies(args) -> int:
    store = _open(args)
    try:
        movies = store.list_movies()
    finally:
        store.close()
    lines = [f"{'ID':<24} {'DURATION':>10} {'SHOTS':>6} {'SCENES':>6}  TITLE"]
    lines += [f"{m.id:<24} {_fmt_time(m.duration):>10} {m.n_shots:>6} {m.n_scenes:>6}  {m.title or ''}"
              for m in movies]
    _emit(args, [m.as_dict() for m in movies], "\n".join(lines) if movies else "(no movies)")
    return EXIT_OK


def _movie_or_fail(store, movie_id: str):
    from indexer.errors import InputError

    movie = store.get_movie(movie_id)
    if movie is None:
        known = ", ".join(m.id for m in store.list_movies()[:10]) or "none"
        raise InputError(movie_id, f"no such movie in {store.root} (known: {known})")
    return movie


def _movie_items(args, fetch, header: str, row) -> int:
    """List one movie's shots or scenes: a table for people, the records for --json."""
    store = _open(args)
    try:
        _movie_or_fail(store, args.movie_id)
        items = fetch(store, args.movie_id)
    finally:
        store.close()
    _emit(args, [i.as_dict() for i in items], "\n".join([header, *(row(i) for i in items)]))
    return EXIT_OK


def cmd_shots(args) -> int:
    """Shots with what each one shows and says: its texts (subtitle, transcript, OCR, concepts,
    aligned script/synopsis) and which vectors it has."""
    store = _open(args)
    try:
        _movie_or_fail(store, args.movie_id)
        shots = store.get_shots(args.movie_id)
        texts = store.get_texts(args.movie_id, vectors=True)
    finally:
        store.close()
    per_shot: list[list] = [[] for _ in shots]
    for t in texts:
        if t.first_shot is None:
            continue
        for i in range(t.first_shot, min(t.last_shot, len(shots) - 1) + 1):
            per_shot[i].append(t)
    items = []
    for shot, ts in zip(shots, per_shot, strict=True):
        d = shot.as_dict()
        d["texts"] = [{"kind": t.kind, "text": t.text, "start": d0["start"], "end": d0["end"],
                       **{k: v for k, v in d0.items() if k not in ("kind", "text", "start", "end", "shots")}}
                      for t in ts for d0 in [t.as_dict()]]
        d["vectors"]["text"] = sum(1 for t in ts if t.vector is not None)   # texts of this shot that are embedded
        items.append(d)
    lines = [f"{'#':>5} {'START':>10} {'END':>10} {'LENGTH':>7}  WHAT IT SHOWS AND SAYS"]
    for shot, ts in zip(shots, per_shot, strict=True):
        said = " | ".join(f"{t.kind}: {t.text}" for t in ts if t.kind != "concepts")
        shows = next((t.text for t in ts if t.kind == "concepts"), "")
        lines.append(f"{shot.index:>5} {_fmt_time(shot.start):>10} {_fmt_time(shot.end):>10} "
                     f"{shot.end - shot.start:>7.2f}  {shows}" + (f"  [{said[:160]}]" if said else ""))
    _emit(args, items, "\n".join(lines))
    return EXIT_OK


def cmd_scenes(args) -> int:
    return _movie_items(
        args, lambda st, mid: st.get_scenes(mid), f"{'#':>5} {'START':>10} {'END':>10}  SHOTS",
        lambda s: f"{s.index:>5} {_fmt_time(s.start):>10} {_fmt_time(s.end):>10}  {s.first_shot}-{s.last_shot}")


def cmd_remove(args) -> int:
    store = _open(args)
    try:
        _movie_or_fail(store, args.movie_id)
        with store.writer():
            store.remove_movie(args.movie_id)
    finally:
        store.close()
    _emit(args, {"removed": args.movie_id}, f"removed {args.movie_id}")
    return EXIT_OK


def cmd_search(args) -> int:
    from search.query import QueryError, parse_query

    _check_limit(args.limit)
    _check_export(args.export)
    try:
        query = parse_query(args.query, tags=[args.tags], cast=[args.cast], movies=args.movie,
                            allow_empty=args.face is not None)
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    face = None
    if args.face is not None:
        from search.face_query import FaceQueryError, face_from_photo

        try:
            face, note = face_from_photo(args.face)
        except FaceQueryError as exc:
            raise UsageError(str(exc)) from None
        if note:
            print(f"cinesearch: notice: {note}", file=sys.stderr)
    from search.engine import SearchEngine

    store = _open(args)
    try:
        _check_movies(store, query.movies)
        engine = SearchEngine(store)
        answer = engine.search(query, limit=args.limit, face=face)
        _export(args.export, answer, engine.movies())
    finally:
        store.close()
    _emit_clips(args, answer)
    return EXIT_OK


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= 100:
        raise UsageError(f"--limit must be between 1 and 100, not {limit}")


def _check_movies(store, movies: list[str]) -> None:
    """Refuse the first --movie that names no movie of the library."""
    unknown = [m for m in movies if store.get_movie(m) is None]
    if unknown:
        raise UsageError(f"--movie: no movie {unknown[0]!r} in {store.root}")


def _check_export(path: Path | None) -> None:
    """Refuse an export file of unknown kind, or in a missing folder, before any work is done."""
    if path is None:
        return
    from web.timeline import ExportError, format_for

    try:
        format_for(path.name)
    except ExportError as exc:
        raise UsageError(f"--export: {exc}") from None
    if not path.parent.is_dir():
        raise UsageError(f"--export: no folder {str(path.parent)!r}")


def _export(path: Path | None, answer: dict, movies: dict) -> None:
    """Write the answer's clips as selects, whole or not at all (a temporary file, then renamed)."""
    if path is None:
        return
    from web.timeline import ExportError, export

    try:
        text = export(answer, movies, path.name)
    except ExportError as exc:
        raise UsageError(f"--export: {exc}") from None
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    print(f"cinesearch: wrote {len(answer['results'])} clips to {path}", file=sys.stderr)


def _emit_clips(args, answer: dict) -> None:
    """A search answer: notices on stderr, then the clips (ranked, with why) or the JSON."""
    from web.timeline import what_matched

    for note in answer["notes"]:
        print(f"cinesearch: notice: {note}", file=sys.stderr)
    lines = []
    for rank, r in enumerate(answer["results"], start=1):
        lines.append(f"{rank:>2}. {r['movie_id']}  {_fmt_time(r['start'])} - {_fmt_time(r['end'])}  "
                     f"score {r['score']:.3f}  {r.get('title') or ''}")
        for part in r.get("focus", []):
            lines.append(f"      {_fmt_time(part['start'])} - {_fmt_time(part['end'])}  \"{part['sentence'][:70]}\"")
        for w in r["why"][:3]:
            what = what_matched(w)
            kind = f"{w['modality']}/{w['kind']}" if w.get("kind") else w["modality"]
            lines.append(f"      why: {kind} {w['score']:.3f}  {what[:80]}")
    _emit(args, answer, "\n".join(lines) if lines else "no clips found")


def cmd_similar(args) -> int:
    from search.engine import SearchEngine
    from search.similar import ShotNotFound

    _check_limit(args.limit)
    _check_export(args.export)
    store = _open(args)
    try:
        _check_movies(store, args.movie)
        engine = SearchEngine(store)
        try:
            answer = engine.similar(args.movie_id, args.shot, limit=args.limit, movies=args.movie)
        except ShotNotFound as exc:
            raise UsageError(f"{exc} in {store.root}") from None
        _export(args.export, answer, engine.movies())
    finally:
        store.close()
    _emit_clips(args, answer)
    return EXIT_OK


def cmd_serve(args) -> int:
    """The development server (threaded werkzeug). For production, see README: gunicorn."""
    from search.store import open_store
    from web.app import create_app

    open_store(Path(args.library), **_store_options(args)).close()   # a missing or newer library, or an
    # unreachable Elasticsearch, fails here with exit 2
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    app = create_app({"LIBRARY": args.library, "STORE": _store_options(args)})
    print(f"cinesearch: serving {Path(args.library).resolve()} at http://{args.host}:{args.port}/", file=sys.stderr,
          flush=True)
    app.run(host=args.host, port=args.port, threaded=True, debug=False, use_reloader=False)
    return EXIT_OK


def cmd_check(args) -> int:
    store = _open(args)
    try:
        fixed: list[str] = []
        if args.fix:
            with store.writer():
                fixed = store.collect_garbage()
        report = store.check()
    finally:
        store.close()
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for e in report.errors:
        print(f"error: {e}", file=sys.stderr)
    _emit(args, {"ok": report.ok, "errors": report.errors, "warnings": report.warnings, "fixed": fixed},
          "library ok" if report.ok else f"library has {len(report.errors)} problem(s)")
    return EXIT_OK if report.ok else EXIT_INTERNAL


def cmd_migrate(args) -> int:
    import time

    from search.store import open_store, remember, resolve
    from search.store.elastic import ElasticsearchStore
    from search.store.migrate import copy_library

    lib = Path(args.library)
    src = open_store(lib, backend=getattr(args, "backend", None) or "embedded")
    cfg = resolve(lib, backend="elasticsearch", es_url=getattr(args, "es_url", None),
                  es_prefix=getattr(args, "es_prefix", None), es_shards=args.shards, es_replicas=args.replicas)
    t0 = time.perf_counter()
    try:
        dst = ElasticsearchStore(lib, url=cfg.es_url, prefix=cfg.es_prefix, create=True, shards=cfg.es_shards,
                                 replicas=cfg.es_replicas, quantization=cfg.es_vectors)
        try:
            shots = 0

            def progress(movie_id: str, n: int) -> None:
                nonlocal shots
                shots += n
                if not args.json:
                    print(f"copied {movie_id} ({n} shots)", file=sys.stderr)

            with src.writer():
                ids = copy_library(src, dst, progress)
        finally:
            dst.close()
    finally:
        src.close()
    remember(lib, cfg)
    took = time.perf_counter() - t0
    _emit(args, {"movies": ids, "shots": shots, "seconds": round(took, 2), "es_url": cfg.es_url,
                 "prefix": cfg.es_prefix},
          f"migrated {len(ids)} movies ({shots} shots) to {cfg.es_url} as {cfg.es_prefix!r} in {took:.1f} s; "
          f"{lib} now uses Elasticsearch (--backend embedded reads the old catalogue)")
    return EXIT_OK


COMMANDS = {"migrate": cmd_migrate, "index": cmd_index, "movies": cmd_movies, "shots": cmd_shots, "scenes": cmd_scenes,
            "search": cmd_search, "similar": cmd_similar, "remove": cmd_remove, "check": cmd_check, "serve": cmd_serve}


if __name__ == "__main__":
    sys.exit(main())
