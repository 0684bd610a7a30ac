"""Indexing layers and their registry. Each layer lives in its own module; adding one means a new
module with a `Layer` subclass and one `register` call (or `Registry.register` on a registry of
your own, as the tests do)."""

from __future__ import annotations

from cinesearch.indexer.layers.base import BundleParts, Layer, MovieRun, execute
from cinesearch.indexer.layers.registry import DEFAULT, Registry, register

__all__ = ["DEFAULT", "BundleParts", "Layer", "MovieRun", "Registry", "execute", "register"]
