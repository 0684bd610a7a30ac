"""`cinesearch index --ray`: a real Ray cluster on loopback (a head and a second worker node, two
`ray start` processes, token authentication on) indexes real films into a real Elasticsearch node
and into the embedded backend. The library equals one indexed without Ray; a worker SIGKILLed
inside a movie is retried and the movie is written exactly once; a corrupt film is reported once.
(Its speed is measured by benchmarks/ray_scaling.py, not here.)"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ray_local import RayCluster, local_cluster

REPO = Path(__file__).resolve().parents[2]
FILMS = ("bikes.mp4", "carphone_pristine.mp4", "cityCC0.mpg", "trailer_bbb.mp4")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    """Two Ray nodes of one CPU each on 127.0.0.1, stopped afterwards."""
    if importlib.util.find_spec("ray") is None:
        message = "Ray is not installed: pip install 'cinesearch[ray]' (the test setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with local_cluster([1, 1]) as cluster:
        yield cluster


def _cli(*args: str, lib: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = env or {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "cinesearch.cli", *args, "--library", str(lib)], env=env,
                          capture_output=True, text=True, timeout=900, cwd=REPO)


def _contents(lib: Path) -> dict[str, dict[str, object]]:
    """Every movie's shots, scenes, texts and face tracks, with their vectors as arrays."""
    from cinesearch.search.store import open_store

    store = open_store(lib)
    try:
        out: dict[str, dict[str, object]] = {}
        for movie in store.list_movies():
            shots = store.get_shots(movie.id)
            texts = sorted(store.get_texts(movie.id, vectors=True),
                           key=lambda t: (t.kind, t.source, t.start, t.end, t.text))
            tracks = store.get_tracks(movie.id)
            out[movie.id] = {
                "fingerprint": movie.fingerprint,
                "shots": [(s.index, round(s.start, 3), round(s.end, 3), [k.time for k in s.keyframes]) for s in shots],
                "scenes": [(c.first_shot, c.last_shot) for c in store.get_scenes(movie.id)],
                "texts": [(t.kind, t.source, round(t.start, 3), round(t.end, 3), t.text, t.first_shot) for t in texts],
                "tracks": [(t.shot, round(t.start, 3), round(t.end, 3), t.kind) for t in tracks],
                "vectors": [v for v in [*(s.appearance for s in shots), *(t.vector for t in texts),
                                        *(t.face for t in tracks)]],
            }
        return out
    finally:
        store.close()


def assert_same_library(a: Path, b: Path) -> None:
    left, right = _contents(a), _contents(b)
    assert sorted(left) == sorted(right)
    for movie_id in left:
        va, vb = left[movie_id].pop("vectors"), right[movie_id].pop("vectors")
        assert left[movie_id] == right[movie_id], movie_id
        assert len(va) == len(vb) and [x is None for x in va] == [x is None for x in vb], movie_id  # type: ignore[arg-type]
        for x, y in zip(va, vb, strict=True):   # type: ignore[call-overload]
            if x is not None:   # one thread per worker against two: float sums in another order
                assert np.allclose(np.asarray(x), np.asarray(y), atol=1e-3), movie_id


def _check_clean(lib: Path) -> dict:
    check = _cli("check", "--json", lib=lib)
    report = json.loads(check.stdout)
    assert check.returncode == 0 and report["errors"] == [], check.stdout
    return report


def _broken_copy(film: Path, folder: Path) -> Path:
    """A truncated copy that probes fine (moov first), so it fails only inside the worker."""
    full = folder / "faststart.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(film), "-c", "copy", "-movflags", "+faststart",
                    str(full)], check=True)
    broken = folder / "broken.mp4"
    broken.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    return broken


def test_a_ray_cluster_indexes_the_library_one_process_would(tmp_path, media, backend, ray_cluster):
    films = [str(media(name)) for name in FILMS]
    broken = _broken_copy(media("bikes.mp4"), tmp_path)
    one_args, ray_args = backend.args(), backend.args()   # two libraries (two index prefixes)

    one = _cli("index", "--json", "--no-progress", *one_args, *films, lib=tmp_path / "one")
    assert one.returncode == 0, one.stderr
    run = _cli("index", "--json", "--ray", ray_cluster.address, *ray_args, *films, str(broken),
               lib=tmp_path / "ray", env=ray_cluster.env)
    assert run.returncode == 2, run.stderr            # the corrupt film is reported ...
    report = json.loads(run.stdout)
    assert [e["where"] for e in report["errors"]] == [str(broken)]           # ... once
    assert "truncated" in report["errors"][0]["message"]
    assert run.stderr.count(f"error: {broken}") == 1
    summary = report["summary"]
    assert sorted(summary["indexed"]) == sorted(m["id"] for m in json.loads(one.stdout)["movies"])   # the rest index
    assert summary["failed"] == [str(broken)] and summary["retried"] == []   # a bad film is not retried
    assert "2 node(s)" in run.stderr and "ray:" in run.stderr                # the batch line and the bar

    assert_same_library(tmp_path / "one", tmp_path / "ray")
    _check_clean(tmp_path / "one")
    _check_clean(tmp_path / "ray")
    assert not any((tmp_path / "ray" / "staging").iterdir())   # nothing left half-built

    again = _cli("index", "--json", "--no-progress", "--ray", ray_cluster.address, *films, lib=tmp_path / "ray",
                 env=ray_cluster.env)
    assert again.returncode == 0, again.stderr
    assert sorted(json.loads(again.stdout)["summary"]["unchanged"]) == sorted(summary["indexed"])


def _worker_reading(path: Path) -> int | None:
    """The pid of a Ray worker that has `path` open (it is decoding that movie), if any."""
    target = os.path.realpath(path)
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if not Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::index_movie"):
                continue
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.path.realpath(f"/proc/{pid}/fd/{fd}") == target for fd in fds):
                return int(pid)
        except OSError:
            continue
    return None


def test_a_worker_killed_inside_a_movie_is_retried_and_the_movie_written_once(tmp_path, media, elasticsearch,
                                                                              ray_cluster):
    from elasticsearch import Elasticsearch

    films = [str(media(name)) for name in FILMS]
    prefix = f"ray{os.getpid()}"
    lib = tmp_path / "lib"
    proc = subprocess.Popen([sys.executable, "-m", "cinesearch.cli", "index", "--json", "--no-progress", "--ray",
                             ray_cluster.address, "--backend", "elasticsearch", "--es-url", elasticsearch,
                             "--es-prefix", prefix, *films, "--library", str(lib)], env=ray_cluster.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        pid = _worker_reading(media("trailer_bbb.mp4"))   # the longest film goes first
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            killed = pid
        time.sleep(0.05)
    out, err = proc.communicate(timeout=900)
    assert killed is not None, f"no worker was seen inside the trailer: {err[-2000:]}"
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["errors"] == []
    assert report["summary"]["retried"] == ["trailer-bbb"], err
    assert sorted(m["id"] for m in report["movies"]) == sorted(["bikes", "carphone-pristine", "citycc0",
                                                                 "trailer-bbb"])

    # exactly once: every document of every movie belongs to its one committed run
    from cinesearch.search.store import open_store

    store = open_store(lib)
    es = Elasticsearch(elasticsearch)
    try:
        for movie in store.list_movies():
            term = {"term": {"movie_id": movie.id}}
            for name, expected in (("shots", movie.n_shots), ("texts", movie.n_texts), ("scenes", movie.n_scenes)):
                assert es.count(index=f"{prefix}-{name}", query=term)["count"] == expected, (movie.id, name)
        assert es.count(index=f"{prefix}-movies")["count"] == 4
    finally:
        es.close()
        store.close()
    report = _check_clean(lib)
    assert not [w for w in report["warnings"] if "uncommitted run" in w or "interrupted" in w], report


def test_without_ray_the_flag_says_what_to_install(tmp_path, media):
    shadow = tmp_path / "no-ray" / "ray"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(shadow.parent)}
    res = _cli("index", "--ray", str(media("bikes.mp4")), lib=tmp_path / "lib", env=env)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'cinesearch[ray]'" in lines[0], res.stderr
    assert not (tmp_path / "lib").exists()   # nothing was touched

    both = _cli("index", "--ray", "--jobs", "2", str(media("bikes.mp4")), lib=tmp_path / "lib")
    assert both.returncode == 2 and "--jobs and --ray" in both.stderr


def test_a_cluster_that_does_not_answer_is_one_line_and_touches_nothing(tmp_path, media):
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray is not installed")
    from conftest import free_port

    started = time.monotonic()
    res = _cli("index", "--ray", f"127.0.0.1:{free_port()}", str(media("bikes.mp4")), lib=tmp_path / "lib")
    assert res.returncode == 2 and time.monotonic() - started < 60
    assert "cannot join the Ray cluster" in res.stderr and "nothing answers there" in res.stderr
    assert not (tmp_path / "lib").exists()
