"""Pick the compute device once: CUDA when present (or forced by CINESEARCH_DEVICE), else CPU."""

from __future__ import annotations

import functools
import os


@functools.cache
def torch_device() -> str:
    forced = os.environ.get("CINESEARCH_DEVICE", "").strip().lower()
    if forced:
        return forced
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
