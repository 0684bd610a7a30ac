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


def test_models_names_each_role_with_its_source_size_and_licence(cli):
    rows = cli("models", "--json").json()
    roles = {r["role"] for r in rows}
    assert {"text", "clip", "faces", "ocr", "speech", "shots", "labels"} <= roles
    minilm = next(r for r in rows if r["model"] == "minilm")
    assert minilm["source"] == "packaged" and minilm["size"] > 80_000_000 and minilm["licence"] == "Apache-2.0"
    human = cli("models")
    assert human.code == 0 and "ROLE" in human.out.splitlines()[0] and "MIT" in human.out


def test_pull_clip_offline_fails_at_once_with_one_line_saying_how_to_hand_over_a_file(cli, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    res = cli("models", "pull", "clip", "--tag", "laion2b_s34b_b79k")
    assert res.code == 2
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and "CINESEARCH_CLIP_WEIGHTS=" in lines[0] and "laion2b_s34b_b79k" in lines[0], res.err


def test_after_a_pull_index_adds_only_the_clip_layer(tmp_path, cli, monkeypatch):
    """The pull's record (here written by the same function the pull calls, for a tiny model built
    in the test) turns CLIP on; the indexed movie then gains the CLIP layer and nothing else runs."""
    import library_builder as lb
    from tiny_clip import tiny_clip

    from cinesearch.models import clip_pull

    for var in ("CINESEARCH_CLIP_WEIGHTS", "CINESEARCH_CLIP_PRETRAINED", "CINESEARCH_CLIP_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(clip_pull, "clip_cache", lambda: tmp_path / "cache" / "clip")
    lib = tmp_path / "lib"
    first = cli("index", str(lb.film_c()), "--no-progress", "--json", library=lib)
    assert first.code == 0, first.err
    assert first.json()["movies"][0]["stages"]["clip"] == "off"

    config, weights = tiny_clip(tmp_path)
    monkeypatch.setenv("CINESEARCH_CLIP_CONFIG", str(config))
    clip_pull.record_pull("tiny-test-clip", "test", weights)
    row = next(r for r in cli("models", "--json").json() if r["role"] == "clip")
    assert row["available"] and row["source"] == "hub cache" and row["weights"] == str(weights.resolve())

    second = cli("index", str(lb.film_c()), "--no-progress", "--json", library=lib)
    assert second.code == 0, second.err
    stages = second.json()["movies"][0]["stages"]
    assert stages["clip"] == "ran"
    assert {k: v for k, v in stages.items() if k != "clip"} == {
        "shots": "reused", "vision": "reused", "faces": "reused", "speech": "skipped (no audio)", "text": "reused"}
    shots = cli("shots", "bikes-loose", "--json", library=lib).json()
    assert shots and all(s["vectors"]["visual"] for s in shots)
