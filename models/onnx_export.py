"""Export a sentence-transformers BERT folder to ONNX: `python -m cinesearch.models.onnx_export
FOLDER OUT.onnx`. Run as a child process by models.text_embed, so that torch (half a GiB) is
loaded only for this, once, and never in the indexer or the web server. Writes atomically."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def export(folder: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    model = AutoModel.from_pretrained(str(folder)).eval()

    class Hidden(torch.nn.Module):   # positional inputs, one output: what the ONNX graph carries
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with torch.no_grad():
        torch.onnx.export(Hidden(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "last_hidden_state": axes},
                          opset_version=17, dynamo=False)
    os.replace(tmp, out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m cinesearch.models.onnx_export MODEL_FOLDER OUT.onnx")
    try:
        export(Path(sys.argv[1]), Path(sys.argv[2]))
    except Exception as exc:   # noqa: BLE001 - one line for the parent, which reports it
        sys.exit(f"{type(exc).__name__}: {exc}")
