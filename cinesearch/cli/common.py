"""What every command shares: the common flags, output (--json or a table), opening the store
through the factory, and the movie lookup that turns a missing id into a clear error."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cinesearch.errors import NotFound, UserError
from cinesearch.search.store import Movie, Store, StoreReader, open_store


class UsageError(UserError):
    """A bad command line (argparse's own complaints included)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, as the contract says
        raise UsageError(f"{self.prog}: {message}")


def common_flags() -> argparse.ArgumentParser:
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
    return common


def whole_number(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: a whole number from lo to hi, else a usage error that says so."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"must be {lo} to {hi}")
        return n
    return parse


def emit(args: argparse.Namespace, data: Any, human: str) -> None:
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif human:
        print(human)


def notice(message: str) -> None:
    print(f"cinesearch: notice: {message}", file=sys.stderr)


def store_options(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k, None) for k in ("backend", "es_url", "es_prefix")}


def open_library(args: argparse.Namespace, create: bool = False, **extra: Any) -> Store:
    """The library's store, always through the store factory."""
    return open_store(Path(args.library), create=create, **{**store_options(args), **extra})


def movie_or_fail(store: StoreReader, movie_id: str) -> Movie:
    movie = store.get_movie(movie_id)
    if movie is None:
        known = ", ".join(m.id for m in store.list_movies()[:10]) or "none"
        raise NotFound(f"{movie_id}: no such movie in {store.root} (known: {known})")
    return movie


def fmt_time(t: float) -> str:
    m, s = divmod(t, 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{s:06.3f}" if h else f"{m:02d}:{s:06.3f}"
