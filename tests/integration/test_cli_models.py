"""`cinesearch models`: which models this installation can use, and how to supply the others."""

from __future__ import annotations


def test_models_lists_every_model_with_where_it_comes_from_or_how_to_supply_it(cli, monkeypatch):
    monkeypatch.delenv("CINESEARCH_CLIP_WEIGHTS", raising=False)
    res = cli("models", "--json")
    assert res.code == 0, res.err
    rows = {r["model"]: r for r in res.json()}
    assert {"minilm", "efficientnet-lite3", "ssd-mobilenet-coco", "rapidocr", "whisper-tiny.en", "dlib-faces",
            "transnetv2", "wordsegment", "clip"} <= set(rows)
    assert rows["minilm"]["available"] and rows["minilm"]["weights"].endswith("model")
    assert not rows["clip"]["available"] and "CINESEARCH_CLIP_WEIGHTS" in rows["clip"]["how_to"]
