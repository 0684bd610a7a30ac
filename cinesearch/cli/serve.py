"""`cinesearch serve`: the search page and the JSON API on waitress, a production WSGI server
(one process, a pool of threads: media ranges are served while searches run, since the models
leave the GIL free), after the models are loaded; `--dev` runs Flask's development server instead.
The CLI reaches the web only through its app factory."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path

from cinesearch.cli.common import open_library, store_options, whole_number
from cinesearch.errors import EXIT_OK
from cinesearch.search.requests import check_port

SWITCH_INTERVAL = 0.001   # seconds a thread holds the GIL before another may take it (Python's default: 0.005)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    q = sub.add_parser("serve", parents=[common], help="serve the search page and the JSON API")
    q.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    q.add_argument("--port", type=int, default=8000)
    q.add_argument("--threads", type=whole_number(1, 256), default=32, help="request threads (default 32)")
    q.add_argument("--show-paths", action="store_true",
                   help="show the videos' paths on this machine in /api/movies (default: file names only)")
    q.add_argument("--dev", action="store_true", help="Flask's development server (reloads nothing; for debugging)")
    q.set_defaults(func=cmd_serve)


def bind_warning(host: str) -> str | None:
    """The server has no authentication: say so when it is reachable from other machines."""
    if host in ("127.0.0.1", "::1", "localhost") or host.startswith("127."):
        return None
    return (f"serving on {host}: anyone who can reach this address can search the library and play its "
            f"videos (no authentication); bind 127.0.0.1 or put an authenticating proxy in front")


def _interrupt(_signum: int, _frame: object) -> None:
    """The first SIGTERM stops the server as Ctrl-C does; later ones are ignored, so that one sent
    again while it shuts down (the face workers) does not break the shutdown with a traceback."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def cmd_serve(args: argparse.Namespace) -> int:
    from cinesearch.web.app import MAX_UPLOAD_BYTES, create_app

    check_port(args.port)
    open_library(args).close()   # a missing or newer library, or an unreachable Elasticsearch: exit 2 here
    if (warning := bind_warning(args.host)) is not None:
        print(f"cinesearch: warning: {warning}", file=sys.stderr)
    # SIGTERM (systemd, docker stop) ends the server as Ctrl-C does: the face workers are stopped
    signal.signal(signal.SIGTERM, _interrupt)
    app = create_app({"LIBRARY": args.library, "STORE": store_options(args), "BIND_HOST": args.host, "WARM": True,
                      "SHOW_PATHS": args.show_paths})
    where = f"http://{args.host}:{args.port}/"
    kind = "Flask's development server" if args.dev else f"waitress, {args.threads} threads"
    print(f"cinesearch: serving {Path(args.library).resolve()} at {where} ({kind}; models loaded in "
          f"{app.config['WARM_SECONDS']:.1f} s)", file=sys.stderr, flush=True)
    if args.dev:
        from werkzeug.serving import make_server

        dev = make_server(args.host, args.port, app, threaded=True)   # bound here: "ready" is true
        print(f"cinesearch: ready at {where}", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            dev.serve_forever()
        return EXIT_OK
    from waitress.server import create_server

    # waitress reads requests and writes every response from one I/O thread: with searches holding
    # the GIL in 5 ms turns, a video range waited behind them (p95 364 ms under 10 clients); a
    # 1 ms turn lets the I/O thread in (p95 below 100 ms), at a small cost in throughput
    sys.setswitchinterval(SWITCH_INTERVAL)
    server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident="cinesearch",
                           channel_timeout=120, max_request_body_size=MAX_UPLOAD_BYTES + 64 * 1024)
    print(f"cinesearch: ready at {where}", file=sys.stderr, flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return EXIT_OK
