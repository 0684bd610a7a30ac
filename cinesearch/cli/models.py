"""`cinesearch models` (which models this installation can use, and how to supply the others)
and `cinesearch settings` (every CINESEARCH_* variable's effective value and where it came from)."""

from __future__ import annotations

import argparse

from cinesearch import settings
from cinesearch.cli.common import emit
from cinesearch.errors import EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser("models", parents=[common], help="which models can be used, and how to supply the others"
                   ).set_defaults(func=cmd_models)
    sub.add_parser("settings", parents=[common], help="the effective CINESEARCH_* settings and their sources"
                   ).set_defaults(func=cmd_settings)


def cmd_models(args: argparse.Namespace) -> int:
    from cinesearch.models.clip import HOW_TO, clip_identity
    from cinesearch.models.registry import SOURCES, ModelUnavailable, resolve

    rows = []
    for name, source in sorted(SOURCES.items()):
        try:
            rows.append({"model": name, "available": True, "weights": str(resolve(name)), "how_to": ""})
        except ModelUnavailable as exc:
            rows.append({"model": name, "available": False, "weights": None, "how_to": str(exc) or source.how_to})
    clip = clip_identity()
    rows.append({"model": "clip", "available": clip is not None, "weights": clip,
                 "how_to": "" if clip else HOW_TO})
    lines = [f"{'MODEL':<20} {'STATUS':<9} WEIGHTS / HOW TO SUPPLY THEM"]
    lines += [f"{r['model']:<20} {'ok' if r['available'] else 'missing':<9} {r['weights'] or r['how_to']}"
              for r in rows]
    emit(args, rows, "\n".join(lines))
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    rows = settings.get().rows()
    width = max(len(name) for name, _, _ in rows)
    lines = [f"{'VARIABLE':<{width}}  {'SOURCE':<11}  VALUE"]
    lines += [f"{name:<{width}}  {source:<11}  {value or '-'}" for name, value, source in rows]
    emit(args, [{"variable": n, "value": v, "source": s} for n, v, s in rows], "\n".join(lines))
    return EXIT_OK
