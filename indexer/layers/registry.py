"""The ordered set of layers an indexer runs. Order: a layer comes after every layer it names in
`after`; otherwise registration order. The default registry holds the built-in layers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cinesearch.indexer.layers.base import Layer


class Registry:
    def __init__(self, layers: Iterable[Layer] = ()):
        self._layers: dict[str, Layer] = {}
        for layer in layers:
            self.register(layer)

    def register(self, layer: Layer) -> Layer:
        """Add a layer, or replace the one of the same name (a new version of it)."""
        if not layer.name:
            raise ValueError(f"{type(layer).__name__}: a layer needs a name")
        self._layers[layer.name] = layer
        self.ordered()   # refuse an unknown or circular `after` now, not while indexing
        return layer

    def copy(self) -> Registry:
        return Registry(self._layers.values())

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.ordered())

    def __getitem__(self, name: str) -> Layer:
        return self._layers[name]

    def names(self) -> list[str]:
        return [layer.name for layer in self.ordered()]

    def ordered(self) -> list[Layer]:
        out: list[Layer] = []
        placed: set[str] = set()
        visiting: set[str] = set()

        def visit(layer: Layer) -> None:
            if layer.name in placed:
                return
            if layer.name in visiting:
                raise ValueError(f"layer {layer.name!r}: circular 'after'")
            visiting.add(layer.name)
            for dep in layer.after:
                if dep not in self._layers:
                    raise ValueError(f"layer {layer.name!r} comes after unknown layer {dep!r}")
                visit(self._layers[dep])
            visiting.discard(layer.name)
            placed.add(layer.name)
            out.append(layer)

        for layer in self._layers.values():
            visit(layer)
        return out

    def sinks(self) -> list[Layer]:
        """The layers no other layer reads: together their fingerprints cover the whole movie."""
        read = {dep for layer in self._layers.values() for dep in layer.after}
        return [layer for layer in self.ordered() if layer.name not in read]

    def text_kinds(self, but: str) -> frozenset[str]:
        return frozenset(k for layer in self._layers.values() if layer.name != but for k in layer.text_kinds)


def _builtin() -> Registry:
    from cinesearch.indexer.layers.clip import ClipLayer
    from cinesearch.indexer.layers.faces import FacesLayer
    from cinesearch.indexer.layers.shots import ShotsLayer
    from cinesearch.indexer.layers.speech import SpeechLayer
    from cinesearch.indexer.layers.text import TextLayer
    from cinesearch.indexer.layers.vision import VisionLayer

    return Registry([ShotsLayer(), VisionLayer(), ClipLayer(), FacesLayer(), SpeechLayer(), TextLayer()])


DEFAULT = _builtin()


def register(layer: Layer) -> Layer:
    """Add a layer to the default registry."""
    return DEFAULT.register(layer)
