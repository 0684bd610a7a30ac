"""`cinesearch models` (which models this installation can use, and how to supply the others)
and `cinesearch settings` (every CINESEARCH_* variable's effective value and where it came from)."""

from __future__ import annotations

import argparse
from typing import Any

from cinesearch import settings
from cinesearch.cli.common import emit
from cinesearch.errors import EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("models", parents=[common], help="which models can be used, and how to supply the others")
    p.set_defaults(func=cmd_models)
    actions = p.add_subparsers(dest="action", metavar="{pull}")
    pull = actions.add_parser("pull", parents=[common], help="download a model into the cache (online only)")
    pull.add_argument("what", choices=["clip"], help="the model to download")
    pull.add_argument("--tag", default=None, help="open_clip weights tag (default laion2b_s34b_b79k)")
    pull.add_argument("--arch", default=None, help="open_clip architecture (default ViT-B-32)")
    pull.set_defaults(func=cmd_pull)
    sub.add_parser("settings", parents=[common], help="the effective CINESEARCH_* settings and their sources"
                   ).set_defaults(func=cmd_settings)


def cmd_models(args: argparse.Namespace) -> int:
    """Every model role, where its weights resolve from (local file, packaged, hub cache, missing),
    their size and licence, or how to supply them."""
    from cinesearch.models.clip import HOW_TO, clip_choice
    from cinesearch.models.clip_pull import pulled
    from cinesearch.models.registry import SOURCES, locate, size_of

    rows: list[dict[str, Any]] = []
    for name, source in sorted(SOURCES.items(), key=lambda kv: (kv[1].role, kv[0])):
        where, path = locate(name)
        rows.append({"role": source.role, "model": name, "available": path is not None, "source": where,
                     "weights": str(path) if path else None, "size": size_of(path), "licence": source.licence,
                     "how_to": "" if path else source.how_to})
    choice = clip_choice()
    got = pulled()
    where = "missing" if choice is None else "hub cache" if got and choice.weights == got.weights else \
        "local file" if choice.weights else "hub (online)"
    rows.append({"role": "clip", "model": f"clip {choice.arch}" if choice else "clip", "available": choice is not None,
                 "source": where, "weights": choice.pretrained if choice else None,
                 "size": size_of(choice.weights) if choice else None,
                 "licence": "MIT (open_clip); the weights' own licence (LAION tags: MIT)",
                 "how_to": "" if choice else HOW_TO})
    rows.sort(key=lambda r: r["role"])
    lines = [f"{'ROLE':<7} {'MODEL':<19} {'SOURCE':<11} {'SIZE':>9}  LICENCE / WEIGHTS / HOW TO SUPPLY THEM"]
    for r in rows:
        size = f"{r['size'] / 1e6:.1f} MB" if r["size"] else "-"
        lines.append(f"{r['role']:<7} {r['model']:<19} {r['source']:<11} {size:>9}  "
                     + (f"{r['licence']}; {r['weights']}" if r["available"] else r["how_to"]))
    emit(args, rows, "\n".join(lines))
    return EXIT_OK


def cmd_pull(args: argparse.Namespace) -> int:
    """Download CLIP weights into the cache; the next `cinesearch index` adds only the CLIP layer."""
    from cinesearch.models.clip import DEFAULT_ARCH
    from cinesearch.models.clip_pull import DEFAULT_TAG, pull_clip

    entry = pull_clip(args.arch or DEFAULT_ARCH, args.tag or DEFAULT_TAG)   # ModelUnavailable: exit 2, one line
    emit(args, {"arch": entry.arch, "tag": entry.tag, "weights": str(entry.weights), "sha256": entry.sha256,
                "size": entry.size},
         f"pulled CLIP {entry.arch}/{entry.tag}: {entry.weights} ({entry.size / 1e6:.0f} MB, sha256 "
         f"{entry.sha256[:12]}); 'cinesearch index' now adds the CLIP layer to indexed movies")
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    rows = settings.get().rows()
    width = max(len(name) for name, _, _ in rows)
    lines = [f"{'VARIABLE':<{width}}  {'SOURCE':<11}  VALUE"]
    lines += [f"{name:<{width}}  {source:<11}  {value or '-'}" for name, value, source in rows]
    emit(args, [{"variable": n, "value": v, "source": s} for n, v, s in rows], "\n".join(lines))
    return EXIT_OK
