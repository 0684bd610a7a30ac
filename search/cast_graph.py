"""The graph PPCC runs on, for one movie: identity nodes (cast portraits, an uploaded photo), face
tracks, and shots where no face was found. Pure: vectors in, an affinity matrix out.

Edges, each in [0, 1], the strongest kind wins:
- face: two faces (track, portrait or photo) by embedding cosine;
- temporal link: nodes in adjacent shots of the same scene, by the similarity of the two shots'
  pictures (the person who was there a cut ago is still there when the picture continues);
- visual link: two tracks anywhere in the movie by the appearance of the body below the face.
Two faces that clearly differ are never linked by the other kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# dlib faces: same person ~0.93-0.98 cosine, different ~0.80-0.87; small blurry faces sit near the
# mean (~0.85 to everyone), so the ramp starts above them.
FACE_LO, FACE_HI = 0.88, 0.95
FACE_CONFLICT = 0.88                 # two visible faces this dissimilar are different people
TEMPORAL_WEIGHT = 0.8                # adjacent shots of one scene, by body (or picture) similarity
TEMPORAL_LO, TEMPORAL_HI = 0.75, 0.92   # body cosine (clothes and their colours, see indexer.faces)
BODY_WEIGHT = 0.6                    # anywhere in the movie, by body similarity alone
BODY_LO, BODY_HI = 0.85, 0.97
APPEAR_LO, APPEAR_HI = 0.60, 0.90    # whole pictures of adjacent shots, when no body is known


@dataclass
class CastNode:
    kind: str                        # identity | track | shot
    shot: int | None = None
    scene: int | None = None
    face: np.ndarray | None = None
    body: np.ndarray | None = None
    appearance: np.ndarray | None = None   # of the node's shot
    ref: object = None               # the track, or the shot index, it stands for


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def _matrix(vecs: list[np.ndarray | None]) -> tuple[np.ndarray, np.ndarray]:
    dim = next((len(v) for v in vecs if v is not None), 1)
    m = np.zeros((len(vecs), dim), np.float32)
    has = np.zeros(len(vecs), bool)
    for i, v in enumerate(vecs):
        if v is not None and len(v) == dim:
            n = float(np.linalg.norm(v))
            if n > 0:
                m[i], has[i] = v / n, True
    return m, has


def affinity(nodes: list[CastNode]) -> np.ndarray:
    n = len(nodes)
    faces, has_face = _matrix([x.face for x in nodes])
    face_cos = faces @ faces.T
    both_faces = has_face[:, None] & has_face[None, :]
    w_face = np.where(both_faces, _ramp(face_cos, FACE_LO, FACE_HI), 0.0)
    conflict = both_faces & (face_cos < FACE_CONFLICT)

    appear, has_app = _matrix([x.appearance for x in nodes])
    body, has_body = _matrix([x.body for x in nodes])
    body_cos = body @ body.T
    both_bodies = has_body[:, None] & has_body[None, :]
    shots = np.array([-10 if x.shot is None else x.shot for x in nodes])
    scenes = np.array([-1 if x.scene is None else x.scene for x in nodes])
    adjacent = (np.abs(shots[:, None] - shots[None, :]) == 1) & (shots[:, None] >= 0) & (shots[None, :] >= 0)
    same_scene = (scenes[:, None] == scenes[None, :]) | (scenes[:, None] < 0) | (scenes[None, :] < 0)
    near = adjacent & same_scene
    by_body = _ramp(body_cos, TEMPORAL_LO, TEMPORAL_HI)
    by_picture = _ramp(appear @ appear.T, APPEAR_LO, APPEAR_HI)
    w_time = np.where(near & both_bodies, TEMPORAL_WEIGHT * by_body,
                      np.where(near & has_app[:, None] & has_app[None, :], TEMPORAL_WEIGHT * by_picture, 0.0))
    w_body = np.where(both_bodies, BODY_WEIGHT * _ramp(body_cos, BODY_LO, BODY_HI), 0.0)
    w = np.maximum(w_face, np.where(conflict, 0.0, np.maximum(w_time, w_body)))
    np.fill_diagonal(w, 0.0)
    return w if n else np.zeros((0, 0))
