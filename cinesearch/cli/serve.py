"""`cinesearch serve`: the search page and the JSON API (the development server; README shows
gunicorn for production). The CLI reaches the web only through its app factory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cinesearch.cli.common import open_library, store_options
from cinesearch.errors import EXIT_OK
from cinesearch.search.requests import check_port


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    q = sub.add_parser("serve", parents=[common], help="serve the search page and the JSON API")
    q.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    q.add_argument("--port", type=int, default=8000)
    q.set_defaults(func=cmd_serve)


def bind_warning(host: str) -> str | None:
    """The server has no authentication: say so when it is reachable from other machines."""
    if host in ("127.0.0.1", "::1", "localhost") or host.startswith("127."):
        return None
    return (f"serving on {host}: anyone who can reach this address can search the library and play its "
            f"videos (no authentication); bind 127.0.0.1 or put an authenticating proxy in front")


def cmd_serve(args: argparse.Namespace) -> int:
    from cinesearch.web.app import create_app

    check_port(args.port)
    open_library(args).close()   # a missing or newer library, or an unreachable Elasticsearch: exit 2 here
    if (warning := bind_warning(args.host)) is not None:
        print(f"cinesearch: warning: {warning}", file=sys.stderr)
    app = create_app({"LIBRARY": args.library, "STORE": store_options(args), "BIND_HOST": args.host})
    print(f"cinesearch: serving {Path(args.library).resolve()} at http://{args.host}:{args.port}/", file=sys.stderr,
          flush=True)
    app.run(host=args.host, port=args.port, threaded=True, debug=False, use_reloader=False)
    return EXIT_OK
