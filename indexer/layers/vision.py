"""The vision layer: keyframes -> EfficientNet-Lite3 labels and appearance, SSD objects, OCR
(no decoding). Output: one ShotVision per shot."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cinesearch.indexer.layers.base import Layer, MovieRun, available
from cinesearch.indexer.understand import ShotVision, run_vision, vision_models
from cinesearch.search.store import Shot, TextSegment

MODELS = ("efficientnet-lite3", "ssd-mobilenet-coco", "rapidocr")
EARLY_FACES = "faces.early"    # run.outputs key of the faces worker the vision layer feeds, when there is one


class VisionLayer(Layer):
    name = "vision"
    version = "4"   # 3: the concept bank (label probabilities per shot); 4: the opening read whole
    after = ("shots",)

    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        return (run.fingerprints["shots"], run.profile.vision, *[m for m in MODELS if available(m)])

    def warm(self, run: MovieRun) -> None:
        vision_models()

    def run(self, run: MovieRun) -> list[ShotVision]:
        layer = run.outputs["shots"]
        early = run.outputs.get(EARLY_FACES)
        bar = run.bar(len(layer.shots), "understand", "shot")
        offer = (lambda i, v: early.offer(i, "person" in v.objects)) if early is not None else None
        try:
            return run_vision(layer.keyframe_files(run.staging), run.profile.vision, bar.update, offer,
                              motion=layer.shot_motion(), duration=run.info.duration)
        finally:
            bar.close()

    def reuse(self, run: MovieRun) -> list[ShotVision]:
        return vision_from_store(run.old_shots, run.old_texts)

    def load(self, saved: Any, run: MovieRun) -> list[ShotVision]:
        return [ShotVision(**v) for v in saved]

    def dump(self, value: list[ShotVision]) -> Any:
        return [asdict(v) for v in value]


def vision_from_store(shots: list[Shot], texts: list[TextSegment]) -> list[ShotVision]:
    out = [ShotVision(appearance=None if s.appearance is None else s.appearance.tolist()) for s in shots]
    for t in texts:
        if t.first_shot is None or not 0 <= t.first_shot < len(out):
            continue
        v = out[t.first_shot]
        if t.kind == "concepts":
            v.concepts = t.extra.get("vision", t.text)
            v.labels = [tuple(x) for x in t.extra.get("labels", [])]
            v.objects = dict(t.extra.get("objects", {}))
            v.attributes = dict(t.extra.get("measured", {}))
            v.bank = [(int(i), float(p)) for i, p in t.extra.get("bank", [])]
        elif t.kind == "ocr":
            v.ocr.append({"text": t.extra.get("read", t.text), **{k: t.extra.get(k) for k in ("score", "time", "box")}})
    return out
