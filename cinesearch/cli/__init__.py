"""The `cinesearch` command line."""

from __future__ import annotations

from cinesearch.cli.main import main

__all__ = ["main"]
