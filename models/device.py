"""Pick the compute device once: CUDA when present (or forced by CINESEARCH_DEVICE), else CPU."""

from __future__ import annotations

import functools

from cinesearch import settings


@functools.cache
def torch_device() -> str:
    forced = settings.get().device
    if forced:
        return forced
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
