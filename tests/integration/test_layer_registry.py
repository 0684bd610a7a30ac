"""A layer added through the registry: a movie is indexed with it, its output lands in the
library, and a new version of it re-runs that layer alone (every other layer is reused)."""

from __future__ import annotations

from typing import Any

import pytest

from cinesearch.indexer.layers import DEFAULT, BundleParts, Layer, MovieRun
from cinesearch.indexer.media import probe
from cinesearch.indexer.movie_spec import load_video_file
from cinesearch.indexer.pipeline import Indexer
from cinesearch.search.store import TextSegment, open_store


class ShotNotes(Layer):
    """A note per shot saying how long it is: reads the shots layer, contributes texts."""
    name = "notes"
    after = ("shots",)
    text_kinds = ("note",)

    def __init__(self, version: str = "1"):
        self.version = version
        self.runs = 0

    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        return (run.fingerprints["shots"],)

    def run(self, run: MovieRun) -> list[dict[str, Any]]:
        self.runs += 1
        return [{"shot": s.index, "start": s.start, "end": s.end, "text": f"v{self.version}: {s.end - s.start:.2f} s"}
                for s in run.outputs["shots"].shots]

    def reuse(self, run: MovieRun) -> list[dict[str, Any]]:
        return [{"shot": t.first_shot, "start": t.start, "end": t.end, "text": t.text}
                for t in run.old_texts if t.kind == "note"]

    def contribute(self, value: list[dict[str, Any]], parts: BundleParts, run: MovieRun) -> None:
        parts.texts += [TextSegment("note", "notes", n["start"], n["end"], n["text"], first_shot=n["shot"],
                                    last_shot=n["shot"]) for n in value]


def _index(lib, video, layers):
    store = open_store(lib, create=True)
    try:
        with store.writer():
            out = Indexer(store, "fast", progress=False, layers=layers).index(load_video_file(video), probe(video))
        notes = [t.text for t in store.get_texts(out.movie_id) if t.kind == "note"]
        return out, notes, store.get_texts(out.movie_id)
    finally:
        store.close()


@pytest.mark.slow
def test_a_registered_layer_is_indexed_and_its_new_version_reruns_only_it(tmp_path, media):
    video = media("carphone_pristine.mp4")
    lib = tmp_path / "lib"
    layers = DEFAULT.copy()
    notes = layers.register(ShotNotes("1"))
    assert layers.names()[-1] == "notes" or layers.names().index("notes") > layers.names().index("shots")

    first, texts, _ = _index(lib, video, layers)
    assert first.status == "indexed" and first.stages["notes"] == "ran" and notes.runs == 1
    assert len(texts) == first.shots and all(t.startswith("v1: ") for t in texts)

    again, _, _ = _index(lib, video, layers)
    assert again.status == "unchanged" and notes.runs == 1

    layers.register(ShotNotes("2"))
    bumped, texts2, all_texts = _index(lib, video, layers)
    assert bumped.status == "updated" and bumped.stages["notes"] == "ran"
    others = {k: v for k, v in bumped.stages.items() if k not in ("notes", "cast", "write")}
    assert others["shots"] == "reused" and others["vision"] == "reused" and others["text"] == "reused", others
    assert all(v in ("reused", "off", "skipped (no audio)", "skipped (subtitles)") for v in others.values()), others
    assert len(texts2) == bumped.shots and all(t.startswith("v2: ") for t in texts2)
    assert sum(t.kind == "note" for t in all_texts) == bumped.shots        # replaced, not added to
    assert "notes" not in DEFAULT.names()                                  # the default registry is untouched


def test_the_registry_orders_by_after_and_refuses_unknown_or_circular_layers():
    layers = DEFAULT.copy()

    class Early(ShotNotes):
        name = "early"
        after = ()

    class Late(ShotNotes):
        name = "late"
        after = ("text", "early")

    layers.register(Early())
    layers.register(Late())
    names = layers.names()
    assert names.index("early") < names.index("late") and names.index("text") < names.index("late")
    assert [layer.name for layer in layers.sinks()] == ["late"]

    class Orphan(ShotNotes):
        name = "orphan"
        after = ("nothing",)

    with pytest.raises(ValueError, match="unknown layer 'nothing'"):
        layers.copy().register(Orphan())
