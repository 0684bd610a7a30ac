"""The device and thread choice every model asks (models.device), and what each runtime is told
when the choice is CUDA. These run on a CPU machine: CINESEARCH_DEVICE forces the choice, so the
CUDA configuration of every model is exercised without a GPU."""

from __future__ import annotations

import os

import pytest

from cinesearch.models import device
from cinesearch.models.ocr import ocr_params
from cinesearch.models.speech import whisper_runtime
from cinesearch.models.text_embed import ort_providers


def test_forced_device_decides_for_every_runtime(monkeypatch):
    monkeypatch.setenv("CINESEARCH_DEVICE", "cuda")
    assert device.on_gpu()
    monkeypatch.setenv("CINESEARCH_DEVICE", "cuda:1")
    assert device.on_gpu()
    monkeypatch.setenv("CINESEARCH_DEVICE", "cpu")
    assert not device.on_gpu()


def test_unforced_device_follows_the_driver(monkeypatch):
    monkeypatch.delenv("CINESEARCH_DEVICE", raising=False)
    assert device.cuda_devices() >= 0
    assert device.on_gpu() == (device.cuda_devices() > 0)


def test_cuda_choice_reaches_each_runtime(monkeypatch):
    monkeypatch.setenv("CINESEARCH_DEVICE", "cuda")
    cuda = device.on_gpu()
    assert ocr_params(2, cuda)["EngineConfig.onnxruntime.use_cuda"] is True
    assert whisper_runtime(cuda) == ("cuda", "float16", 16)
    assert ort_providers(cuda) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setenv("CINESEARCH_DEVICE", "cpu")
    cuda = device.on_gpu()
    assert ocr_params(2, cuda)["EngineConfig.onnxruntime.use_cuda"] is False
    assert whisper_runtime(cuda) == ("cpu", "int8", 8)
    assert ort_providers(cuda) == ["CPUExecutionProvider"]


@pytest.mark.parametrize(("threads", "per_model"), [("1", 1), ("2", 1), ("3", 1), ("8", 4)])
def test_each_model_gets_half_the_threads(monkeypatch, threads, per_model):
    monkeypatch.setenv("CINESEARCH_THREADS", threads)
    assert device.compute_threads() == int(threads)
    assert device.model_threads() == per_model


def test_threads_default_to_the_cores(monkeypatch):
    monkeypatch.delenv("CINESEARCH_THREADS", raising=False)
    assert device.compute_threads() == (os.cpu_count() or 1)


def test_faiss_searches_on_the_gpu_only_where_it_can():
    from cinesearch.search.store.vectors import faiss_gpus, search_on_gpu

    assert faiss_gpus() >= 0                      # 0 with faiss-cpu, as here
    assert search_on_gpu("flat", 1, True) and search_on_gpu("ivfpq", 1, True)
    assert not search_on_gpu("hnsw_sq8", 1, True)   # no GPU HNSW in faiss
    assert not search_on_gpu("flat", 0, True)       # faiss-cpu, or no device
    assert not search_on_gpu("flat", 1, False)      # CINESEARCH_DEVICE=cpu


def test_a_forced_cuda_choice_without_faiss_gpu_keeps_searching_on_the_cpu(monkeypatch, tmp_path):
    import numpy as np

    from cinesearch.search.store.vectors import ArrayRows, VectorIndex

    monkeypatch.setenv("CINESEARCH_DEVICE", "cuda")
    index = VectorIndex(tmp_path, "text", 4)
    vectors = np.eye(4, dtype=np.float32)
    index.rebuild(ArrayRows(np.arange(4, dtype=np.int64), vectors), generation=1)
    scores, ids = index.search(vectors[2], 1)
    assert ids.tolist() == [[2]] and scores[0, 0] > 0.99
