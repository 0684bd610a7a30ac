"""The query-side encoders the search engine uses, injected (tests pass tiny ones) or, by
default, the packaged models reached by role. Every part of search (sentences, tags, faces)
asks the engine's one Encoders, so an injected encoder is used everywhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TextEncoder = Callable[[list[str]], np.ndarray]


@dataclass
class Encoders:
    """Query-side encoders (None: that modality is off)."""
    text: TextEncoder | None
    clip_text: TextEncoder | None


def default_encoders() -> Encoders:
    from cinesearch import models
    from cinesearch.models.clip import clip_identity

    enc = models.clip_encoder() if clip_identity() else None
    return Encoders(text=models.text_embedder(), clip_text=enc.encode_texts if enc is not None else None)
