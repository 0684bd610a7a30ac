"""`cinesearch migrate --to elasticsearch`: copy a library into a cluster, then make the folder
default to it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cinesearch.cli.common import emit
from cinesearch.errors import EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    q = sub.add_parser("migrate", parents=[common], help="copy the library into Elasticsearch",
                       description="Copy every movie of the library (read with --backend, default embedded) into "
                                   "an Elasticsearch library (--es-url, --es-prefix); the aliases switch to the copy "
                                   "when it is complete, and the folder then defaults to Elasticsearch.")
    q.add_argument("--to", choices=["elasticsearch"], required=True)
    q.add_argument("--replicas", type=int, default=None, help="replicas per shard (default: $CINESEARCH_ES_REPLICAS "
                                                              "or 0)")
    q.add_argument("--shards", type=int, default=None, help="primary shards of shots and texts (default 1)")
    q.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> int:
    from cinesearch.search.store import open_store, remember, resolve
    from cinesearch.search.store.elastic import ElasticsearchStore
    from cinesearch.search.store.migrate import copy_library

    lib = Path(args.library)
    src = open_store(lib, backend=getattr(args, "backend", None) or "embedded")
    options = {"backend": "elasticsearch", "es_url": getattr(args, "es_url", None),
               "es_prefix": getattr(args, "es_prefix", None), "es_shards": args.shards, "es_replicas": args.replicas}
    cfg = resolve(lib, **options)
    t0 = time.perf_counter()
    shots = 0
    try:
        dst = open_store(lib, create=True, remember_backend=False, **options)
        try:
            assert isinstance(dst, ElasticsearchStore)
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
    emit(args, {"movies": ids, "shots": shots, "seconds": round(took, 2), "es_url": cfg.es_url,
                "prefix": cfg.es_prefix},
         f"migrated {len(ids)} movies ({shots} shots) to {cfg.es_url} as {cfg.es_prefix!r} in {took:.1f} s; "
         f"{lib} now uses Elasticsearch (--backend embedded reads the old catalogue)")
    return EXIT_OK
