"""The Elasticsearch backend against a real server: the same answers as the embedded backend on the
same library, a 2-node cluster that loses a node, Elasticsearch stopped in the middle of an
ingest, and clear errors when it is down. (The rest of the integration suite runs on both
backends through the `backend` fixture.)"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import movie_builder as mb
import pytest
from conftest import EsNode, es_run_dir, free_port, require_elasticsearch, run_cli

PARAGRAPH = ("A dog is waiting beside a bike. Kites are dancing over the sand. "
             "Then someone asks for the blue umbrella to be brought to the station.")
QUERIES = [
    ["someone asks for the umbrella to be taken to the railway station"],
    ["meet me at the lighthouse"],
    ["kites dancing high above the beach"],
    ['"blue umbrella"'],
    [PARAGRAPH],
    ["--tags", "drama"],
    ["--cast", "Obama"],
    ["the president speaks at the summit"],
]


def _folders(root: Path) -> list[Path]:
    return [mb.story_folder(root), mb.cast_folder(root)]


def _top(lib: Path, args: list[str], *backend: str, k: int = 5) -> list[tuple]:
    result = run_cli("search", *args, "--limit", str(k), "--json", *backend, library=lib)
    assert result.code == 0, result.err
    return [(r["movie_id"], tuple(r["shots"]), r["start"], r["end"]) for r in result.json()["results"]]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, elasticsearch):
    """One library indexed once (embedded), then copied into Elasticsearch by `cinesearch migrate`."""
    root = tmp_path_factory.mktemp("agree")
    lib = root / "library"
    result = run_cli("index", *map(str, _folders(root)), "--no-progress", "--backend", "embedded", library=lib)
    assert result.code == 0, result.err
    moved = run_cli("migrate", "--to", "elasticsearch", "--es-url", elasticsearch, "--es-prefix", "agree", "--json",
                    library=lib)
    assert moved.code == 0, moved.err
    assert sorted(moved.json()["movies"]) == ["story", "summit"]
    return lib


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: a[-1][:30])
def test_both_backends_give_the_same_top_5(migrated, args):
    embedded = _top(migrated, args, "--backend", "embedded")
    elastic = _top(migrated, args)                 # the folder now defaults to Elasticsearch
    assert embedded, "the fixture query found nothing"
    assert elastic == embedded


def test_face_search_agrees(migrated, media):
    photo = str(media("obama2.jpg"))
    assert _top(migrated, ["--face", photo], k=50) == _top(migrated, ["--face", photo], "--backend", "embedded", k=50)


def test_migrated_library_checks_clean_and_migrating_again_swaps_whole_indices(migrated, elasticsearch):
    check = run_cli("check", "--json", library=migrated)
    assert check.code == 0 and check.json()["ok"], check.out + check.err
    before = _aliases(elasticsearch, "agree-shots")
    again = run_cli("migrate", "--to", "elasticsearch", library=migrated)
    assert again.code == 0, again.err
    after = _aliases(elasticsearch, "agree-shots")
    assert len(before) == len(after) == 1 and before != after          # a new physical index, old one gone
    assert _count(elasticsearch, "agree-shots") == sum(m["shots"] for m in _movies(migrated))


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _aliases(url: str, alias: str) -> list[str]:
    return sorted(_get(f"{url}/_alias/{alias}"))


def _count(url: str, index: str, movie: str | None = None) -> int:
    req = urllib.request.Request(f"{url}/{index}/_count", method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"query": {"term": {"movie_id": movie}} if movie else
                                                  {"match_all": {}}}).encode())
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["count"]


def _movies(lib: Path) -> list[dict]:
    result = run_cli("movies", "--json", library=lib)
    assert result.code == 0, result.err
    return result.json()


# -- a 2-node cluster ------------------------------------------------------------------------------
def test_two_node_cluster_goes_green_and_answers_after_a_node_stops(migrated, tmp_path):
    require_elasticsearch()
    with es_run_dir() as one, es_run_dir() as two:
        t1, t2 = free_port(), free_port()
        seeds = f"127.0.0.1:{t1},127.0.0.1:{t2}"
        master = EsNode(one, free_port(), t1, f"pair-{os.getpid()}", "node-1", seeds, "node-1")
        data = EsNode(two, free_port(), t2, f"pair-{os.getpid()}", "node-2", seeds, "node-1", roles="data,ingest")
        master.start()
        try:
            data.start()
            lib = tmp_path / "library"
            moved = run_cli("migrate", "--to", "elasticsearch", "--es-url", master.url, "--es-prefix", "pair",
                            "--shards", "2", "--replicas", "1", library=_copy_catalogue(migrated, lib))
            assert moved.code == 0, moved.err
            health = _get(f"{master.url}/_cluster/health/pair-*?wait_for_status=green&timeout=90s")
            assert health["status"] == "green" and health["number_of_nodes"] == 2, health
            shards = _get(f"{master.url}/pair-shots/_settings")
            (settings,) = shards.values()
            assert settings["settings"]["index"]["number_of_shards"] == "2"
            assert settings["settings"]["index"]["number_of_replicas"] == "1"
            expected = {tuple(q): _top(migrated, q, "--backend", "embedded") for q in QUERIES[:4]}
            assert all(_top(lib, q) == want for q, want in [(list(k), v) for k, v in expected.items()])
            data.stop()
            health = _get(f"{master.url}/_cluster/health?wait_for_nodes=1&timeout=60s")
            assert health["number_of_nodes"] == 1 and health["status"] in ("yellow", "green"), health
            for q, want in expected.items():
                assert _top(lib, list(q)) == want, q                   # replicas took over: same answers
        finally:
            data.stop()
            master.stop()


def _copy_catalogue(src: Path, dest: Path) -> Path:
    """A library folder sharing src's thumbnails (hard links) and embedded catalogue (a copy)."""
    import shutil

    dest.mkdir()
    shutil.copytree(src / "thumbs", dest / "thumbs", copy_function=os.link)
    for name in ("catalogue.sqlite",):
        shutil.copy2(src / name, dest / name)
    return dest


# -- Elasticsearch stopped in the middle of an ingest ---------------------------------------------
def test_stopping_elasticsearch_mid_ingest_then_rerunning_completes_without_duplicates(tmp_path, monkeypatch):
    require_elasticsearch()
    from cinesearch.search.store import elastic

    root = tmp_path / "movies"
    root.mkdir()
    story, summit = _folders(root)
    lib = tmp_path / "library"
    with es_run_dir() as run_dir:
        node = EsNode(run_dir, free_port(), free_port(), f"stop-{os.getpid()}", "node-1")
        node.start()
        try:
            args = ["--no-progress", "--backend", "elasticsearch", "--es-url", node.url, "--es-prefix", "stop"]
            first = run_cli("index", str(story), *args, library=lib)
            assert first.code == 0, first.err
            # the next movie's documents go out in small requests; the server is stopped (SIGTERM,
            # a real shutdown) after the first of them was accepted
            monkeypatch.setattr(elastic, "BULK_BYTES", 64 * 1024)
            real_bulk = elastic.ElasticsearchStore._bulk_request
            sent = []

            def bulk_then_stop(self, body):
                answer = real_bulk(self, body)
                sent.append(len(body))
                if len(sent) == 1:
                    node.stop()
                return answer

            monkeypatch.setattr(elastic.ElasticsearchStore, "_bulk_request", bulk_then_stop)
            cut = run_cli("index", str(summit), *args, library=lib)
            assert cut.code == 2, cut.err
            assert "unreachable" in cut.err and len(cut.err.strip().splitlines()) == 1, cut.err
            assert (lib / "staging" / "summit" / "thumbs").is_dir()          # the checkpoint is kept
            monkeypatch.setattr(elastic.ElasticsearchStore, "_bulk_request", real_bulk)

            node.start()                                                   # same data folder
            down_movies = _movies(lib)
            assert [m["id"] for m in down_movies] == ["story"]             # the cut movie is invisible
            again = run_cli("index", str(story), str(summit), *args[:1], "--json", library=lib)
            assert again.code == 0, again.err
            outcomes = {o["id"]: o for o in again.json()["movies"]}
            assert outcomes["story"]["status"] == "unchanged"
            summit_run = outcomes["summit"]
            assert summit_run["status"] == "resumed", summit_run                # no layer computed again
            assert all(summit_run["stages"][k] == "resumed" for k in ("shots", "vision", "faces")), summit_run
            movies = {m["id"]: m for m in _movies(lib)}
            assert sorted(movies) == ["story", "summit"]
            for mid, m in movies.items():                                  # nothing lost, nothing twice
                assert _count(node.url, "stop-shots", mid) == m["shots"]
                assert _count(node.url, "stop-texts", mid) == m["texts"]
                assert _count(node.url, "stop-scenes", mid) == m["scenes"]
            check = run_cli("check", "--json", library=lib)
            assert check.code == 0 and check.json()["ok"] and not check.json()["warnings"], check.out + check.err
            assert _top(lib, ["--cast", "Obama"])
        finally:
            node.stop()


# -- Elasticsearch down: clear errors, nothing changed ---------------------------------------------
def test_unreachable_elasticsearch_is_exit_2_and_http_503(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    lib = tmp_path / "library"
    for args in (["movies"], ["search", "dog"], ["index", str(mb.story_movie())], ["check"]):
        result = run_cli(*args, "--backend", "elasticsearch", "--es-url", dead, library=lib)
        assert result.code == 2, (args, result.err)
        assert result.err.count("\n") == 1 and "unreachable" in result.err and dead in result.err, result.err
    from cinesearch.web.app import create_app

    client = create_app({"LIBRARY": str(lib), "TESTING": True,
                         "STORE": {"backend": "elasticsearch", "es_url": dead}}).test_client()
    for url in ("/api/search?q=dog", "/api/movies"):
        resp = client.get(url)
        assert resp.status_code == 503 and "unreachable" in resp.get_json()["error"], resp.data
