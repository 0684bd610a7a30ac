"""MiniLM on onnxruntime gives the vectors sentence-transformers gives (the export is checked
against the library it replaces), and a model folder it cannot read the same way is refused."""

from __future__ import annotations

import json
import shutil

import numpy as np

from cinesearch.models.registry import resolve
from cinesearch.models.text_embed import SentenceTransformerEmbedder, TextEmbedder, mean_pooled, onnx_file

SENTENCES = ["a rabbit asleep in a dark burrow", "Big Buck Bunny wakes up under a tree",
             "the squirrel throws nuts at the bird", "www.bigbuckbunny.org", "",
             "a very long sentence " * 120]   # past the 256-token limit: truncated alike


def test_onnx_vectors_equal_sentence_transformers():
    folder = resolve("minilm")
    ours = TextEmbedder(onnx_file(folder), folder, threads=2)(SENTENCES, batch_size=4)
    theirs = SentenceTransformerEmbedder(str(folder), "cpu")(SENTENCES, batch_size=4)
    assert ours.shape == theirs.shape == (len(SENTENCES), 384)
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_folder_pooled_another_way_is_not_taken_for_minilm(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(resolve("minilm"), folder)
    assert mean_pooled(folder)
    config = folder / "1_Pooling" / "config.json"
    pooling = json.loads(config.read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    config.write_text(json.dumps(pooling))
    assert not mean_pooled(folder)
