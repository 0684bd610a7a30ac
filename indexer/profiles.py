"""Indexing profiles: `fast` (PySceneDetect, lighter models) and `full` (TransNetV2 fused with
it, every keyframe through every model, Whisper base). A profile is data; the layers read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from cinesearch.indexer.scenes import SceneParams
from cinesearch.indexer.understand import VisionPlan


@dataclass(frozen=True)
class Profile:
    name: str
    transnet: bool
    content_threshold: float = 27.0
    transnet_threshold: float = 0.5
    gradual: bool = True           # look for slow dissolves beside the content detector (TransNetV2 sees them itself)
    min_shot_seconds: float = 0.2
    analysis_width: int = 160
    thumb_height: int = 288
    thumb_fps: float = 8.0
    scenes: SceneParams = field(default_factory=SceneParams)
    vision: VisionPlan = field(default_factory=VisionPlan)
    speech_model: str = "whisper-tiny.en"
    speech_beam: int = 1
    face_fps: float = 0.5          # frames sampled per second of each shot for faces (at least one)
    face_height: int = 360         # faces are looked for on frames this tall (HOG upsampled once)
    face_upsample: int = 1         # HOG upsampling (1 finds faces of ~40 px instead of ~80, at 4x the cost)
    face_cnn: bool = False         # dlib's CNN (MMOD) detector instead of HOG, where dlib has CUDA
    faces_where_people: bool = True   # look for faces only in shots where SSD saw a person


PROFILES: dict[str, Profile] = {
    "fast": Profile("fast", transnet=False),
    "full": Profile("full", transnet=True, gradual=False,
                    vision=VisionPlan(classify_keyframes=(0, 1, 2), detect_keyframes=(0, 1, 2),
                                      ocr_keyframes=(0, 1, 2)),
                    speech_model="whisper-base", speech_beam=5, face_fps=2.0, face_cnn=True,
                    faces_where_people=False),
}
