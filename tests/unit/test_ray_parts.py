"""The pure parts of Ray indexing: addresses, the GPU ask, the ledger, the batch summary, the
folder media store, and the deploy manifests that put Ray beside Elasticsearch (parsed and
cross-checked here; applying them to Kubernetes or Docker is not done in CI)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cinesearch.cli.index import batch_summary
from cinesearch.indexer.errors import InputError
from cinesearch.indexer.pipeline import Outcome
from cinesearch.indexer.ray_batch import Cluster, gpus_per_movie, is_ray_address, lost_message
from cinesearch.indexer.ray_worker import Ledger, MovieDone, worker_threads
from cinesearch.search.store.media_store import FolderMediaStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", ["auto", "local", "127.0.0.1:6379", "ray-head:6379", "ray://10.0.0.5:10001",
                                  "[::1]:6379", "ray://head.example.org:10001"])
def test_ray_addresses(text):
    assert is_ray_address(text)


@pytest.mark.parametrize("text", ["films/a.mp4", "/films", "movie.mkv", "C:film", "host:port", "a b:1"])
def test_paths_are_not_ray_addresses(text):
    assert not is_ray_address(text)


def test_gpus_asked_only_where_the_cluster_has_them(monkeypatch):
    monkeypatch.delenv("CINESEARCH_DEVICE", raising=False)
    assert gpus_per_movie(Cluster("a", 2, 8, 0), None) == 0
    assert gpus_per_movie(Cluster("a", 2, 8, 2), None) == 1
    assert gpus_per_movie(Cluster("a", 2, 8, 2), 0.5) == 0.5
    monkeypatch.setenv("CINESEARCH_DEVICE", "cpu")
    assert gpus_per_movie(Cluster("a", 2, 8, 2), None) == 0


def test_the_ledger_counts_attempts_and_who_works():
    ledger = Ledger()
    ledger.started("a", "10.0.0.1", 11)
    ledger.started("b", "10.0.0.2", 12)
    ledger.started("a", "10.0.0.2", 13)   # its first worker was lost
    ledger.finished("b")
    attempts, running = ledger.snapshot()
    assert attempts == {"a": 2, "b": 1}
    assert running == {"a": ("10.0.0.2", 13)}


def test_worker_threads_follow_the_cpus_ray_gave():
    assert worker_threads({"CPU": 4.0}) == 4
    assert worker_threads({"CPU": 0.5}) == 1
    assert worker_threads({}) == 1


def test_a_task_answer_says_whether_the_movie_failed():
    assert MovieDone("a", "n", where="a.mp4", message="truncated").failed
    assert not MovieDone("a", "n").failed
    assert "lost 4 time(s)" in lost_message(4, RuntimeError("x")) and "index again" in lost_message(4, RuntimeError())


def test_batch_summary_groups_movies_by_what_happened():
    outcomes = [Outcome("a", "indexed"), Outcome("b", "unchanged"), Outcome("c", "resumed")]
    summary = batch_summary(outcomes, [InputError("/films/x.mp4", "truncated")], ["c"])
    assert summary == {"indexed": ["a"], "updated": [], "resumed": ["c"], "unchanged": ["b"],
                       "failed": ["/films/x.mp4"], "retried": ["c"]}


def test_the_folder_media_store_publishes_keeps_and_gives_back(tmp_path):
    media = FolderMediaStore(tmp_path)
    staged = tmp_path / "staging" / "m" / "thumbs"
    staged.mkdir(parents=True)
    (staged / "k.jpg").write_bytes(b"jpg")
    key = media.publish(staged, "m", "run1")
    assert key == "thumbs/m/run1" and (tmp_path / key / "k.jpg").read_bytes() == b"jpg" and not staged.exists()
    media.unpublish("m", "run1", staged)      # a commit that failed: back to staging, to resume
    assert (staged / "k.jpg").exists() and not (tmp_path / key).exists()
    media.publish(staged, "m", "run1")
    (tmp_path / "thumbs" / "m" / "run0").mkdir()
    assert media.runs() == ["thumbs/m/run0", "thumbs/m/run1"]
    media.keep_only("m", "run1")
    assert media.runs() == ["thumbs/m/run1"]
    media.drop_run("thumbs/m/run1")
    assert media.runs() == [] and not (tmp_path / "thumbs" / "m").exists()


def _pinned_ray() -> str:
    found = re.search(r'"ray\[client\]==([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert found, "pyproject.toml pins ray in the [ray] extra"
    return found.group(1)


def test_the_kuberay_manifest_has_cpu_and_gpu_workers_that_see_the_same_paths():
    docs = list(yaml.safe_load_all((ROOT / "deploy/ray/raycluster.yaml").read_text()))
    cluster = next(d for d in docs if d["kind"] == "RayCluster")
    assert cluster["apiVersion"] == "ray.io/v1" and cluster["spec"]["rayVersion"] == _pinned_ray()
    groups = {g["groupName"]: g for g in cluster["spec"]["workerGroupSpecs"]}
    assert set(groups) == {"cpu", "gpu"}
    gpu = groups["gpu"]["template"]["spec"]["containers"][0]
    assert gpu["resources"]["limits"]["nvidia.com/gpu"] == "1" and groups["gpu"]["rayStartParams"]["num-gpus"] == "1"
    pods = [cluster["spec"]["headGroupSpec"]["template"]["spec"], *(g["template"]["spec"] for g in groups.values())]
    claims = {d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim"}
    for pod in pods:
        mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
        assert mounts == {"/library", "/films"}           # the same paths on every node
        assert {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]} <= claims
        env = {e["name"] for e in pod["containers"][0]["env"]}
        assert {"CINESEARCH_BACKEND", "CINESEARCH_ES_URL", "RAY_AUTH_TOKEN"} <= env


def test_compose_runs_a_ray_head_and_workers_beside_elasticsearch():
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
    services = compose["services"]
    assert {"ray-head", "ray-worker", "es01", "app"} <= set(services)
    for name in ("app", "ray-head", "ray-worker"):
        assert {"library:/library", "films:/films:ro"} <= set(services[name]["volumes"]), name
    assert "--head" in services["ray-head"]["command"] and "ray-head:6379" in services["ray-worker"]["command"]
    assert services["ray-worker"]["environment"]["CINESEARCH_BACKEND"] == "elasticsearch"
    assert all(p.startswith("127.0.0.1:") for s in services.values() for p in s.get("ports", []))
    for dockerfile in ("Dockerfile", "Dockerfile.gpu"):
        text = (ROOT / "deploy" / dockerfile).read_text()
        assert '.[serve,ray]"' in text and "COPY cinesearch cinesearch" in text, dockerfile
