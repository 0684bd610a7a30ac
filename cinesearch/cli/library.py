"""Looking at and keeping a library: `movies`, `shots`, `scenes`, `remove`, `check`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from cinesearch.cli.common import emit, fmt_time, movie_or_fail, open_library
from cinesearch.errors import EXIT_INTERNAL, EXIT_OK
from cinesearch.search.store import StoreReader, TextSegment


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser("movies", parents=[common], help="list the indexed movies").set_defaults(func=cmd_movies)
    for name, what, func in (("shots", "the shots of a movie", cmd_shots), ("scenes", "the scenes of a movie",
                                                                           cmd_scenes)):
        q = sub.add_parser(name, parents=[common], help=f"list {what}")
        q.add_argument("movie_id", metavar="MOVIE_ID")
        q.set_defaults(func=func)
    q = sub.add_parser("remove", parents=[common], help="remove a movie from the library")
    q.add_argument("movie_id", metavar="MOVIE_ID")
    q.set_defaults(func=cmd_remove)
    q = sub.add_parser("check", parents=[common], help="check the library's integrity")
    q.add_argument("--fix", action="store_true",
                   help="also fix what check warns about: delete leftovers no movie refers to, discard "
                        "interrupted index runs, rebuild stale vector indexes")
    q.set_defaults(func=cmd_check)


def cmd_movies(args: argparse.Namespace) -> int:
    store = open_library(args)
    try:
        movies = store.list_movies()
    finally:
        store.close()
    lines = [f"{'ID':<24} {'DURATION':>10} {'SHOTS':>6} {'SCENES':>6}  TITLE"]
    lines += [f"{m.id:<24} {fmt_time(m.duration):>10} {m.n_shots:>6} {m.n_scenes:>6}  {m.title or ''}"
              for m in movies]
    emit(args, [m.as_dict() for m in movies], "\n".join(lines) if movies else "(no movies)")
    return EXIT_OK


def _movie_items(args: argparse.Namespace, fetch: Callable[[StoreReader, str], list[Any]], header: str,
                 row: Callable[[Any], str]) -> int:
    """List one movie's shots or scenes: a table for people, the records for --json."""
    store = open_library(args)
    try:
        movie_or_fail(store, args.movie_id)
        items = fetch(store, args.movie_id)
    finally:
        store.close()
    emit(args, [i.as_dict() for i in items], "\n".join([header, *(row(i) for i in items)]))
    return EXIT_OK


def cmd_shots(args: argparse.Namespace) -> int:
    """Shots with what each one shows and says: its texts (subtitle, transcript, OCR, concepts,
    aligned script/synopsis) and which vectors it has."""
    store = open_library(args)
    try:
        movie_or_fail(store, args.movie_id)
        shots = store.get_shots(args.movie_id)
        texts = store.get_texts(args.movie_id, vectors=True)
    finally:
        store.close()
    per_shot: list[list[TextSegment]] = [[] for _ in shots]
    for t in texts:
        if t.first_shot is None or t.last_shot is None:
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
        lines.append(f"{shot.index:>5} {fmt_time(shot.start):>10} {fmt_time(shot.end):>10} "
                     f"{shot.end - shot.start:>7.2f}  {shows}" + (f"  [{said[:160]}]" if said else ""))
    emit(args, items, "\n".join(lines))
    return EXIT_OK


def cmd_scenes(args: argparse.Namespace) -> int:
    return _movie_items(
        args, lambda st, mid: st.get_scenes(mid), f"{'#':>5} {'START':>10} {'END':>10}  SHOTS",
        lambda s: f"{s.index:>5} {fmt_time(s.start):>10} {fmt_time(s.end):>10}  {s.first_shot}-{s.last_shot}")


def cmd_remove(args: argparse.Namespace) -> int:
    store = open_library(args)
    try:
        movie_or_fail(store, args.movie_id)
        with store.writer():
            store.remove_movie(args.movie_id)
    finally:
        store.close()
    emit(args, {"removed": args.movie_id}, f"removed {args.movie_id}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    store = open_library(args)
    try:
        fixed: list[str] = []
        if args.fix:   # removes or redoes whatever check warns about
            with store.writer():
                fixed = store.collect_garbage() + store.discard_staging() + store.refresh_indexes()
        report = store.check()
    finally:
        store.close()
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for e in report.errors:
        print(f"error: {e}", file=sys.stderr)
    emit(args, {"ok": report.ok, "errors": report.errors, "warnings": report.warnings, "fixed": fixed},
         "library ok" if report.ok else f"library has {len(report.errors)} problem(s)")
    return EXIT_OK if report.ok else EXIT_INTERNAL
