"""The text layer: subtitles, descriptions, transcript, OCR, concepts, script, synopsis and plot
placed on shots and scenes, aligned and embedded; scenes grouped. It reads every earlier layer, so
its output is the movie's shots (with their vectors), scenes and texts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cinesearch import models
from cinesearch.indexer.concepts import widened_labels
from cinesearch.indexer.film_language import attribute_tags, attribute_words, shot_attributes
from cinesearch.indexer.fingerprint import file_hash
from cinesearch.indexer.layers.base import BundleParts, Layer, MovieRun, available
from cinesearch.indexer.layers.shots import ShotLayer
from cinesearch.indexer.onscreen_text import respace
from cinesearch.indexer.scenes import group_scenes
from cinesearch.indexer.story_text import script_units, split_sentences, synopsis_units
from cinesearch.indexer.text_layer import (
    align_untimed,
    attach_timed,
    dialogue_gaps,
    embed_texts,
    page_gaps,
    scene_texts,
    text_lines,
)
from cinesearch.indexer.understand import ShotVision
from cinesearch.search.store import Scene, Shot, TextSegment


@dataclass
class TextOutput:
    shots: list[Shot]
    scenes: list[Scene]
    texts: list[TextSegment]


class TextLayer(Layer):
    name = "text"
    version = "6"   # 6: pages of text side by side are one block when scenes are grouped
    after = ("shots", "vision", "clip", "speech", "faces")
    checkpointed = False

    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        fps = run.fingerprints
        side = sorted(f"{f.name}:{file_hash(f)}" for f in run.spec.side_files())
        # not CLIP's: its vectors are only attached to the shots (`with_vectors`, also on reuse)
        return (fps["shots"], fps["vision"], fps["speech"], fps["faces"], available("minilm"),
                available("wordsegment"), available("wordnet"), run.languages, *side)

    def warm(self, run: MovieRun) -> None:
        models.text_embedder()   # 5 s cold (torch and sentence-transformers); the rest is quick

    def run(self, run: MovieRun) -> TextOutput:
        shots = with_vectors(run)
        vision: list[ShotVision] = run.outputs["vision"]
        texts: list[TextSegment] = [*run.cues, *(run.outputs.get("speech") or [])]
        words = models.segmenter() if any(v.ocr for v in vision) else None
        nouns = models.wordnet_nouns() if any(v.labels or v.objects for v in vision) else None
        face_heights: list[list[float]] = [[] for _ in shots]
        for t in run.outputs.get("faces") or []:
            if t.kind == "face" and 0 <= t.shot < len(shots):
                face_heights[t.shot].append(float(t.box[3] - t.box[1]))
        for shot, v, fh in zip(shots, vision, face_heights, strict=True):
            attrs = shot_attributes(v.attributes, fh, len(fh), bool(v.ocr))
            wider = widened_labels(v.labels, nouns.widen, list(v.objects)) if nouns is not None else ""
            concepts = "; ".join(x for x in (v.concepts, wider, attribute_words(attrs)) if x)
            if concepts:
                texts.append(TextSegment("concepts", "vision", shot.start, shot.end, concepts,
                                         extra={"labels": v.labels, "objects": v.objects, "vision": v.concepts,
                                                "attributes": attrs, "tags": sorted(attribute_tags(attrs)),
                                                "measured": v.attributes, "bank": [list(b) for b in v.bank]}))
            for r in v.ocr:
                extra = {"time": r["time"], "box": r["box"], "score": r["score"]}
                shown = respace(r["text"], words.segment, words.known) if words is not None else r["text"]
                if shown != r["text"]:
                    extra["read"] = r["text"]      # as the recogniser read it (the vision layer's output)
                texts.append(TextSegment("ocr", "rapidocr", shot.start, shot.end, shown, extra=extra))
        texts = attach_timed(texts, shots)
        feats = np.stack([s.appearance for s in shots]) if shots else np.zeros((0, 1), np.float32)
        colour = run.outputs["shots"].colour
        cues = [np.asarray(colour, np.float32)] if len(colour) == len(shots) and len({len(c) for c in colour}) == 1 \
            else []
        lines = [text_lines([r["box"] for r in v.ocr if r.get("box")]) for v in vision]
        joined = sorted({*dialogue_gaps(texts), *page_gaps(lines)})
        scene_ranges = group_scenes(feats, run.profile.scenes, joined=joined,
                                    times=[(s.start, s.end) for s in shots], cues=cues)
        scenes = [Scene(j, shots[a].start, shots[b].end, a, b) for j, (a, b) in enumerate(scene_ranges)]
        embed = models.text_embedder()
        spec = run.spec
        units = [TextSegment("script", spec.script.name, None, None, u) for u in script_units(run.script or "")] \
            if spec.script else []
        about = "movie.json" if spec.meta_file is not None else spec.nfo.name if spec.nfo else "movie.json"
        units += [TextSegment("synopsis", about, None, None, u)
                  for u in synopsis_units(spec.meta.get("synopsis"))]
        units = align_untimed(units, scenes, scene_texts(texts, scenes, len(shots)), embed)
        plot = [TextSegment("plot", about, None, None, s) for s in split_sentences(spec.meta.get("plot") or "")]
        texts += units + plot
        known = {t.text: t.vector for t in run.old_texts if t.vector is not None and t.vector.shape == (384,)}
        embed_texts(texts, embed, known)
        return TextOutput(shots, scenes, texts)

    def reuse(self, run: MovieRun) -> TextOutput | None:
        """Nothing it reads changed (another layer did): the stored scenes and texts stand."""
        texts = [t for t in run.old_texts if t.kind not in run.foreign_kinds]
        return TextOutput(with_vectors(run), run.store.get_scenes(run.spec.id), texts)

    def contribute(self, value: TextOutput, parts: BundleParts, run: MovieRun) -> None:
        parts.shots, parts.scenes = value.shots, value.scenes
        parts.texts.extend(value.texts)


def with_vectors(run: MovieRun) -> list[Shot]:
    """The shots with their appearance (EfficientNet, else the colour feature) and CLIP vectors."""
    layer: ShotLayer = run.outputs["shots"]
    visual = run.outputs.get("clip")
    for i, (shot, v) in enumerate(zip(layer.shots, run.outputs["vision"], strict=True)):
        shot.appearance = np.asarray(v.appearance if v.appearance is not None else layer.colour[i], np.float32)
        shot.visual = None if visual is None else visual[i]
    return layer.shots
