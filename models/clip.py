"""Image-text embeddings with open_clip (ViT-B-32 by default).

No CLIP weights ship in any package reachable here, so CLIP is opt-in:
  CINESEARCH_CLIP_WEIGHTS=/path/to/open_clip_model.safetensors   (local weights file)
  CINESEARCH_CLIP_MODEL=ViT-B-32                                  (architecture; default ViT-B-32)
  CINESEARCH_CLIP_CONFIG=/path/to/my-arch.json                    (an architecture open_clip does not know;
                                                                   its name is the file's stem)
  CINESEARCH_CLIP_PRETRAINED=laion2b_s34b_b79k                    (online: download that tag from the hub)
Without any of these, the indexer says so once and works on without visual vectors.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinesearch import settings
from cinesearch.models.device import torch_device
from cinesearch.models.registry import ModelUnavailable

DEFAULT_ARCH = "ViT-B-32"
HOW_TO = ("online: run 'cinesearch models pull clip'; or set CINESEARCH_CLIP_WEIGHTS=/path/to/weights.safetensors "
          f"(open_clip format; architecture from CINESEARCH_CLIP_MODEL, default {DEFAULT_ARCH})")


@dataclass(frozen=True)
class ClipChoice:
    """What the settings ask of CLIP: the architecture, an extra architecture file, and the weights
    (a local file, or an open_clip tag to download when online)."""
    arch: str
    config: Path | None
    weights: Path | None
    tag: str | None

    @property
    def pretrained(self) -> str | None:
        return str(self.weights) if self.weights is not None else self.tag


def clip_choice() -> ClipChoice | None:
    """The configured CLIP, or None when CLIP is off. Cheap: no model is loaded."""
    env = settings.get()
    arch = env.clip_model or (env.clip_config.stem if env.clip_config else None) or DEFAULT_ARCH
    tag = env.clip_pretrained if env.clip_pretrained and not env.hub_offline else None
    if env.clip_weights is None and tag is None:
        from cinesearch.models.clip_pull import pulled

        got = pulled()    # `cinesearch models pull clip` left weights in the cache
        if got is None:
            return None
        return ClipChoice(env.clip_model or got.arch, env.clip_config, got.weights, None)
    return ClipChoice(arch, env.clip_config, env.clip_weights, None if env.clip_weights else tag)


def clip_identity() -> str | None:
    """What CLIP would be used, as a short string for fingerprints; None when CLIP is not configured."""
    choice = clip_choice()
    if choice is None:
        return None
    if choice.weights is not None:
        try:
            st = choice.weights.stat()
        except OSError:
            return f"{choice.arch}:missing:{choice.weights}"
        return f"{choice.arch}:{choice.weights.name}:{st.st_size}:{st.st_mtime_ns}"
    return f"{choice.arch}:{choice.tag}"


class ClipEncoder:
    def __init__(self, arch: str, pretrained: str, device: str, batch_size: int = 32):
        import open_clip
        import torch

        self._torch = torch
        self.arch = arch
        self.device = device
        self.batch_size = batch_size
        model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=pretrained, device=device)
        model.eval()
        self._model = model
        self._preprocess = preprocess
        self._tokenizer = open_clip.get_tokenizer(arch)
        self.dim = int(model.text_projection.shape[1]) if getattr(model, "text_projection", None) is not None \
            else int(self.encode_texts(["x"]).shape[1])
        self._lock = threading.Lock()

    def _normalise(self, x) -> np.ndarray:
        x = x.float()
        x = x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return x.cpu().numpy().astype(np.float32)

    def encode_images(self, images: Sequence) -> np.ndarray:
        """PIL images -> (n, dim) L2-normalised, in batches."""
        from PIL import Image

        out = []
        for i in range(0, len(images), self.batch_size):
            batch = [im if isinstance(im, Image.Image) else Image.fromarray(im) for im in images[i:i + self.batch_size]]
            x = self._torch.stack([self._preprocess(im) for im in batch]).to(self.device)
            with self._lock, self._torch.inference_mode():
                out.append(self._normalise(self._model.encode_image(x)))
        return np.concatenate(out) if out else np.zeros((0, 0), np.float32)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), self.batch_size):
            tokens = self._tokenizer(list(texts[i:i + self.batch_size])).to(self.device)
            with self._torch.inference_mode():
                out.append(self._normalise(self._model.encode_text(tokens)))
        return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def load_clip() -> ClipEncoder:
    """The configured CLIP model, or ModelUnavailable saying how to configure one."""
    choice = clip_choice()
    if choice is None or choice.pretrained is None:   # decided before importing open_clip (seconds)
        raise ModelUnavailable(f"CLIP is off: no weights ship offline; {HOW_TO}")
    import open_clip

    if choice.config is not None:
        open_clip.add_model_config(choice.config)
    try:
        return ClipEncoder(choice.arch, choice.pretrained, torch_device())
    except ModelUnavailable:
        raise
    except Exception as exc:
        raise ModelUnavailable(f"CLIP {choice.arch} from {choice.pretrained} failed to load "
                               f"({type(exc).__name__}: {exc}); {HOW_TO}") from exc
