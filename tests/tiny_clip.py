"""A tiny random-weight open_clip model, saved like real weights: the real loading and encoding
code runs on it (no fake encoder)."""

from __future__ import annotations

import json
from pathlib import Path


def tiny_clip(folder: Path) -> tuple[Path, Path]:
    """(architecture JSON, weights file) of a 32-d open_clip model named `tiny-test-clip`."""
    import open_clip
    import torch

    cfg = {"embed_dim": 32,
           "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
           "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}}
    config = folder / "tiny-test-clip.json"
    config.write_text(json.dumps(cfg))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-test-clip")
    weights = folder / "tiny.pt"
    torch.save(model.state_dict(), weights)
    return config, weights
