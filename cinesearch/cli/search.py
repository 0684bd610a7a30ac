"""Finding clips: `search` (sentences, tags, cast, a face photo) and `similar` (more like this),
each optionally exported as selects for an editor."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from cinesearch.cli.common import emit, fmt_time, notice, open_library
from cinesearch.errors import EXIT_OK, UserError
from cinesearch.search.requests import check_limit, check_movies, search_query

EXPORT_HELP = "also write the clips as selects: FILE.edl (CMX 3600), FILE.otio (OpenTimelineIO) or FILE.csv"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    q = sub.add_parser("search", parents=[common], help="find clips by sentence, paragraph, tag or cast",
                       description='QUERY may carry tag:NAME, cast:NAME, movie:ID and "exact phrases" inline.')
    q.add_argument("query", nargs="?", default="", metavar="QUERY")
    q.add_argument("--tags", default="", help="comma-separated tags (genres, keywords, places, actions)")
    q.add_argument("--cast", default="", help="comma-separated character or actor names")
    q.add_argument("--face", type=Path, help="a face photo: every appearance of that person (JPEG, PNG, ...)")
    q.add_argument("--movie", action="append", default=[], metavar="ID", help="only this movie (repeatable)")
    q.add_argument("--limit", type=int, default=10, help="most clips to return (1-100, default 10)")
    q.add_argument("--export", type=Path, metavar="FILE", help=EXPORT_HELP)
    q.set_defaults(func=cmd_search)
    q = sub.add_parser("similar", parents=[common], help="more like this: the shots that look like a given shot",
                       description="Shots of the whole library that look like shot SHOT of MOVIE_ID (numbers as "
                                   "'cinesearch shots' lists them), by appearance and, with CLIP, by image.")
    q.add_argument("movie_id", metavar="MOVIE_ID")
    q.add_argument("shot", type=int, metavar="SHOT")
    q.add_argument("--movie", action="append", default=[], metavar="ID", help="only in this movie (repeatable)")
    q.add_argument("--limit", type=int, default=10, help="most shots to return (1-100, default 10)")
    q.add_argument("--export", type=Path, metavar="FILE", help=EXPORT_HELP)
    q.set_defaults(func=cmd_similar)


def cmd_search(args: argparse.Namespace) -> int:
    check_limit(args.limit, "--limit")
    _check_export(args.export)
    face = None
    if args.face is not None:
        from cinesearch.search.face_query import face_from_photo

        face, note = face_from_photo(args.face)
        if note:
            notice(note)
    from cinesearch.search.engine import SearchEngine

    store = open_library(args)
    try:
        query = search_query(store, args.query, tags=[args.tags], cast=[args.cast], movies=args.movie,
                             allow_empty=args.face is not None, movie_flag="--movie")
        engine = SearchEngine(store)
        answer = engine.search(query, limit=args.limit, face=face)
        _export(args.export, answer, engine.movies())
    finally:
        store.close()
    _emit_clips(args, answer)
    return EXIT_OK


def cmd_similar(args: argparse.Namespace) -> int:
    from cinesearch.search.engine import SearchEngine

    check_limit(args.limit, "--limit")
    _check_export(args.export)
    store = open_library(args)
    try:
        movies = check_movies(store, args.movie, "--movie")
        engine = SearchEngine(store)
        answer = engine.similar(args.movie_id, args.shot, limit=args.limit, movies=movies)
        _export(args.export, answer, engine.movies())
    finally:
        store.close()
    _emit_clips(args, answer)
    return EXIT_OK


def _check_export(path: Path | None) -> None:
    """Refuse an export file of unknown kind, or in a missing folder, before any work is done."""
    if path is None:
        return
    from cinesearch.search.export import ExportError, format_for

    try:
        format_for(path.name)
    except ExportError as exc:
        raise UserError(f"--export: {exc}") from None
    if not path.parent.is_dir():
        raise UserError(f"--export: no folder {str(path.parent)!r}")


def _export(path: Path | None, answer: dict[str, Any], movies: dict[str, Any]) -> None:
    """Write the answer's clips as selects, whole or not at all (a temporary file, then renamed)."""
    if path is None:
        return
    from cinesearch.search.export import ExportError, export

    try:
        text = export(answer, movies, path.name)
    except ExportError as exc:
        raise UserError(f"--export: {exc}") from None
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    print(f"cinesearch: wrote {len(answer['results'])} clips to {path}", file=sys.stderr)


def _emit_clips(args: argparse.Namespace, answer: dict[str, Any]) -> None:
    """A search answer: notices on stderr, then the clips (ranked, with why) or the JSON."""
    from cinesearch.search.export import what_matched

    for note in answer["notes"]:
        notice(note)
    lines = []
    rated = "relevance" in answer and answer["results"]
    if rated and not answer["relevance"]["strong"]:
        lines.append("no strong match (see README, Relevance floor); the closest clips:")
    for rank, r in enumerate(answer["results"], start=1):
        if rated and r.get("strong") is False and (rank == 1 or answer["results"][rank - 2].get("strong")) \
                and answer["relevance"]["strong"]:
            lines.append(f"weaker matches ({sum(1 for x in answer['results'] if x.get('strong') is False)}):")
        lines.append(f"{rank:>2}. {r['movie_id']}  {fmt_time(r['start'])} - {fmt_time(r['end'])}  "
                     f"score {r['score']:.3f}  {r.get('title') or ''}")
        for part in r.get("focus", []):
            lines.append(f"      {fmt_time(part['start'])} - {fmt_time(part['end'])}  \"{part['sentence'][:70]}\"")
        for w in r["why"][:3]:
            what = what_matched(w)
            kind = f"{w['modality']}/{w['kind']}" if w.get("kind") else w["modality"]
            lines.append(f"      why: {kind} {w['score']:.3f}  {what[:80]}")
    emit(args, answer, "\n".join(lines) if lines else "no clips found")
