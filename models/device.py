"""Pick the compute device and the CPU threads once, so every model asks one function.

`torch_device()` is CUDA when present (or what CINESEARCH_DEVICE forces); `compute_threads()` is
CINESEARCH_THREADS or all cores; `model_threads()` is what one model may use when the vision stage
runs its two model streams at once (classifier and detector beside OCR): half the cores each.
Two single-threaded streams on 2 cores measured 1.9x less CPU than two 2-threaded ones that
fought for the same cores (spinning thread pools)."""

from __future__ import annotations

import ctypes
import functools
import os

from cinesearch import settings

STREAMS = 2   # model streams the vision stage runs at once


@functools.cache
def torch_device() -> str:
    forced = settings.get().device
    if forced:
        return forced
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.cache
def cuda_devices() -> int:
    """CUDA devices the driver sees, asked of libcuda itself: no runtime (and not torch, half a
    GiB of memory) is imported to learn that a CPU machine has none."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
        count = ctypes.c_int(0)
        if lib.cuInit(0) != 0 or lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
            return 0
        return count.value
    except (OSError, AttributeError):
        return 0


def on_gpu() -> bool:
    """Whether the non-torch runtimes (onnxruntime, OpenCV DNN, CTranslate2) go to CUDA:
    CINESEARCH_DEVICE when set, else whether the driver sees a device."""
    forced = settings.get().device
    if forced:
        return forced.startswith("cuda")
    return cuda_devices() > 0


def compute_threads() -> int:
    return settings.get().threads or os.cpu_count() or 1


def model_threads() -> int:
    return max(1, compute_threads() // STREAMS)


def configure_cpu_threads() -> None:
    """OpenCV's thread pool is process-wide: give it one stream's share of the cores. The decode
    pass's resizes are too small to gain from more threads (on 2 cores: the same wall time for
    8 % less CPU), and the detector runs beside OCR."""
    import cv2

    cv2.setNumThreads(model_threads())
