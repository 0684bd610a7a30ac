"""The `cinesearch` command line: builds the parser from one module per command group and maps
every error to its exit code once (cinesearch.errors).

Contract (docs/design.md): --json prints machine-readable output to stdout; logs and progress go to
stderr. Exit codes: 0 success, 2 usage, input or availability error (one line on stderr), 1 internal
error.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Sequence

from cinesearch import settings
from cinesearch.cli import index, library, migrate, models, search, serve
from cinesearch.cli.common import Parser, common_flags
from cinesearch.errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, CinesearchError, exit_code

GROUPS = (index, library, search, serve, migrate, models)


def build_parser() -> argparse.ArgumentParser:
    common = common_flags()
    parser = Parser(prog="cinesearch", description="Semantic search for movies.", parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in GROUPS:
        group.register(sub, common)
    return parser


_DISK_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def disk_full(exc: BaseException) -> bool:
    """A write that failed for want of space: a full disk, a quota, a file-size limit (also as
    SQLite reports it)."""
    if isinstance(exc, OSError):
        return exc.errno in _DISK_FULL
    return type(exc).__name__ == "OperationalError" and "disk is full" in str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    verbose = False
    args = None
    try:
        args = build_parser().parse_args(argv)
        verbose = getattr(args, "verbose", False)
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                            format="%(levelname)s %(name)s: %(message)s")
        env = settings.get()   # every CINESEARCH_* value is checked before any work
        args.library = getattr(args, "library", None) or str(env.library)
        args.json = getattr(args, "json", False)
        return int(args.func(args))
    except CinesearchError as exc:
        print(f"cinesearch: error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except BrokenPipeError:   # the reader of stdout went away (`| head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("cinesearch: interrupted (rerun to resume)", file=sys.stderr)
        return 130
    except Exception as exc:
        if disk_full(exc):
            where = getattr(exc, "filename", None) or getattr(args, "library", None) or "the library"
            reason = getattr(exc, "strerror", None) or str(exc)
            print(f"cinesearch: error: {where}: {reason}: the disk is full or a size limit was reached; free some "
                  "space and run the command again (indexing resumes where it stopped)", file=sys.stderr)
            return EXIT_INPUT
        logging.getLogger("cinesearch").debug("internal error", exc_info=True)
        print(f"cinesearch: internal error: {type(exc).__name__}: {exc} (rerun with -v for details)",
              file=sys.stderr)
        if verbose:
            raise
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
