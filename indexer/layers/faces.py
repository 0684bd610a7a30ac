"""The faces layer: face tracks (dlib) and bodies in the shots where the vision layer saw a person
(fast profile) or in every shot (full). Output: list[FaceTrack]. In the fast profile it starts
beside the vision layer, fed shot by shot as vision finds people (FaceWorker)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from cinesearch.indexer.faces import FaceWorker, face_analyzer, run_faces
from cinesearch.indexer.layers.base import BundleParts, Layer, MovieRun, available
from cinesearch.indexer.layers.vision import EARLY_FACES
from cinesearch.search.store import FaceTrack


class FacesLayer(Layer):
    name = "faces"
    version = "1"
    after = ("shots", "vision")
    prepare_after = "shots"

    def inputs(self, run: MovieRun) -> tuple[object, ...]:
        p = run.profile
        return (run.fingerprints["shots"], p.face_fps, p.face_height, p.face_upsample, run.cnn,
                run.fingerprints["vision"] if p.faces_where_people else "")

    def off(self, run: MovieRun) -> str | None:
        return None if available("dlib-faces") else "off"

    def when_off(self, run: MovieRun) -> list[FaceTrack]:
        face_analyzer(run.cnn)   # says once which model is missing and how to supply it
        return []

    def _people_only(self, run: MovieRun) -> bool:
        return run.profile.faces_where_people and available("ssd-mobilenet-coco")

    def prepare(self, run: MovieRun) -> None:
        """Start beside the vision layer when this layer will have to run (fast profile: it only
        looks at shots where the vision layer saw a person)."""
        fp = run.fingerprints[self.name]
        if self.off(run) or not self._people_only(run):
            return
        if run.checkpoint.get(self.name, fp) is not None or run.stored(self.name):
            return
        run.outputs[EARLY_FACES] = FaceWorker(run.outputs["shots"].face_files(run.staging), run.cnn,
                                              run.profile.face_upsample)

    def close(self, run: MovieRun) -> None:
        early = run.outputs.pop(EARLY_FACES, None)
        if early is not None:
            early.close()

    def run(self, run: MovieRun) -> list[FaceTrack] | None:
        early = run.outputs.get(EARLY_FACES)
        if early is not None and run.stages.get("vision") == "ran":   # it ran beside the vision layer
            return early.result()
        frames = run.outputs["shots"].face_files(run.staging)   # reused shots: their keyframes
        if self._people_only(run):
            # Face detection is the costly part (70 ms a frame): in the fast profile a shot where the
            # vision layer's SSD saw nobody is skipped. On the 720p film: 4.3 s -> 0.4 s.
            frames = [fs if "person" in v.objects else [] for fs, v in zip(frames, run.outputs["vision"], strict=True)]
        bar = run.bar(len(frames), "faces", "shot")
        try:
            return run_faces(frames, cnn=run.cnn, upsample=run.profile.face_upsample, progress=bar.update)
        finally:
            bar.close()

    def reuse(self, run: MovieRun) -> list[FaceTrack]:
        return [replace(t, id=None, character=None, confidence=None) for t in run.store.get_tracks(run.spec.id)]

    def load(self, saved: Any, run: MovieRun) -> list[FaceTrack]:
        return [track_from_dict(t) for t in saved]

    def dump(self, value: list[FaceTrack]) -> Any:
        return [track_to_dict(t) for t in value]

    def contribute(self, value: list[FaceTrack] | None, parts: BundleParts, run: MovieRun) -> None:
        parts.tracks = list(value or [])


def track_to_dict(t: FaceTrack) -> dict[str, Any]:
    return {"shot": t.shot, "start": t.start, "end": t.end, "kind": t.kind,
            "face": None if t.face is None else t.face.tolist(),
            "body": None if t.body is None else t.body.tolist(), "box": list(t.box), "quality": t.quality,
            "detections": t.detections}


def track_from_dict(d: dict[str, Any]) -> FaceTrack:
    return FaceTrack(shot=d["shot"], start=d["start"], end=d["end"], kind=d.get("kind", "face"),
                     face=None if d["face"] is None else np.asarray(d["face"], np.float32),
                     body=None if d["body"] is None else np.asarray(d["body"], np.float32), box=tuple(d["box"]),
                     quality=d["quality"], detections=d["detections"])
