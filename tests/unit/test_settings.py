"""The one settings object: every CINESEARCH_* variable is validated in one place, a bad value is
exit 2 with one line naming it on every command, and the README's table is generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cinesearch import settings
from cinesearch.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"

BAD = {
    "CINESEARCH_LIBRARY": None,        # any path is a library path (a missing one is reported by the store)
    "CINESEARCH_BACKEND": "solr",
    "CINESEARCH_ES_URL": "ftp://nowhere",
    "CINESEARCH_ES_PREFIX": "Has Spaces",
    "CINESEARCH_ES_SHARDS": "0",
    "CINESEARCH_ES_REPLICAS": "two",
    "CINESEARCH_ES_VECTORS": "flat",
    "CINESEARCH_ES_CACHE_MB": "-1",
    "CINESEARCH_WEIGHTS": "text=lots",
    "CINESEARCH_FAISS_FLAT_MAX": "many",
    "CINESEARCH_FAISS_HNSW_MAX": "1e6",
    "CINESEARCH_FAISS_HNSW_SQ8": "maybe",
    "CINESEARCH_ALLOWED_HOSTS": "films.example/evil",
    "CINESEARCH_DEVICE": "tpu",
    "CINESEARCH_THREADS": "0",
    "CINESEARCH_OFFLINE": "sometimes",
    "CINESEARCH_CACHE": None,          # any folder: created on first use
    "CINESEARCH_FACE_CNN": "2",
    "CINESEARCH_CLIP_WEIGHTS": "/no/such/clip.safetensors",
    "CINESEARCH_CLIP_MODEL": None,     # open_clip decides which architectures it knows, at load time
    "CINESEARCH_CLIP_CONFIG": "/no/such/arch.json",
    "CINESEARCH_CLIP_PRETRAINED": None,   # a tag is checked by the hub when online
    "CINESEARCH_TRANSNETV2_WEIGHTS": "/no/such/weights.pth",
    "CINESEARCH_EFFICIENTNET_WEIGHTS": "/no/such/model.tflite",
    "CINESEARCH_SSD_WEIGHTS": "/no/such/graph.pb",
    "CINESEARCH_OCR_MODELS": "/no/such/folder",
    "CINESEARCH_WHISPER_TINY": "/no/such/folder",
    "CINESEARCH_WHISPER_BASE": "/no/such/folder",
    "CINESEARCH_TEXT_MODEL": "/no/such/folder",
    "CINESEARCH_FACE_MODELS": "/no/such/folder",
    "CINESEARCH_WORDSEGMENT_DATA": "/no/such/folder",
    "CINESEARCH_WORDNET": "/no/such/folder",
    "CINESEARCH_FAULT": "everywhere",
}


def test_every_variable_has_a_bad_value_here():
    assert set(BAD) == {v.name for v in settings.VARS}


@pytest.mark.parametrize("name", [n for n, v in BAD.items() if v is not None])
@pytest.mark.parametrize("command", [["movies"], ["search", "a dog"], ["settings"]])
def test_a_bad_value_is_exit_2_with_one_line_naming_it(name, command, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(name, BAD[name])
    code = main([*command, "--library", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"cinesearch: error: {name}="), err


def test_the_web_app_refuses_a_bad_value_at_start(monkeypatch):
    from cinesearch.web.app import create_app

    monkeypatch.setenv("CINESEARCH_ES_SHARDS", "lots")
    with pytest.raises(settings.SettingsError, match="CINESEARCH_ES_SHARDS"):
        create_app()


def test_values_are_parsed_and_their_source_remembered(monkeypatch):
    monkeypatch.setenv("CINESEARCH_ES_URL", "http://a:9200, http://b:9200")
    monkeypatch.setenv("CINESEARCH_WEIGHTS", "bm25=0.5,visual=2")
    monkeypatch.setenv("CINESEARCH_FAISS_HNSW_SQ8", "off")
    env = settings.get()
    assert env.es_urls == ("http://a:9200", "http://b:9200") and env.es_url == "http://a:9200,http://b:9200"
    assert dict(env.weights) == {"bm25": 0.5, "visual": 2.0} and env.faiss_hnsw_sq8 is False
    rows = {name: (value, source) for name, value, source in env.rows()}
    assert rows["CINESEARCH_ES_URL"][1] == "environment" and rows["CINESEARCH_ES_SHARDS"] == ("1", "default")
    from cinesearch.search.fusion import FusionWeights

    weights = FusionWeights.from_env()
    assert (weights.bm25, weights.visual, weights.text) == (0.5, 2.0, 1.0)
    assert set(FusionWeights().as_dict()) == set(settings.MODALITIES)


def test_a_misspelt_variable_is_named_once(monkeypatch, capsys):
    monkeypatch.setenv("CINESEARCH_ES_SHARD", "3")
    settings.get()
    settings.get()
    err = capsys.readouterr().err
    assert err.count("CINESEARCH_ES_SHARD is not a cinesearch variable (did you mean CINESEARCH_ES_SHARDS?)") == 1


def test_cinesearch_settings_prints_values_and_sources(monkeypatch, capsys):
    monkeypatch.setenv("CINESEARCH_ES_PREFIX", "films")
    assert main(["settings", "--json"]) == 0
    import json

    rows = {r["variable"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["CINESEARCH_ES_PREFIX"] == {"variable": "CINESEARCH_ES_PREFIX", "value": "films",
                                            "source": "environment"}
    assert rows["CINESEARCH_ES_SHARDS"]["source"] == "default"


def test_the_readme_table_is_the_one_generated_from_the_settings():
    text = README.read_text()
    found = re.search(r"<!-- settings:begin -->\n(.*?)\n<!-- settings:end -->", text, re.S)
    assert found, "README lacks the settings table markers"
    assert found.group(1).strip() == settings.markdown_table(), \
        "README's settings table is stale: python -m cinesearch.settings --markdown"
