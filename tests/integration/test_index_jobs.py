"""`cinesearch index --jobs N`: worker processes build, one process writes. The libraries it makes
are the ones one process makes (same shots, same texts), a bad movie among them fails alone, and
the library checks clean. (Its speed is measured by benchmarks/index_jobs.py, not here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FILMS = ("bikes.mp4", "carphone_pristine.mp4", "cityCC0.mpg", "trailer_bbb.mp4")


def _cli(*args: str, lib: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "cinesearch.cli", *args, "--library", str(lib)], env=env,
                          capture_output=True, text=True, timeout=900, cwd=REPO)


def _contents(lib: Path) -> dict[str, object]:
    """Every movie's shots and texts as data, without the vectors (threads may round them)."""
    from cinesearch.search.store import open_store

    store = open_store(lib)
    try:
        out: dict[str, object] = {}
        for movie in store.list_movies():
            shots = [(s.index, round(s.start, 3), round(s.end, 3), [k.time for k in s.keyframes])
                     for s in store.get_shots(movie.id)]
            texts = sorted((t.kind, t.source, round(t.start, 3), round(t.end, 3), t.text, t.first_shot)
                           for t in store.get_texts(movie.id))
            scenes = [(c.first_shot, c.last_shot) for c in store.get_scenes(movie.id)]
            out[movie.id] = {"shots": shots, "texts": texts, "scenes": scenes, "fingerprint": movie.fingerprint}
        return out
    finally:
        store.close()


def test_jobs_build_the_same_library_as_one_process(tmp_path, media):
    films = [str(media(name)) for name in FILMS]
    # a truncated copy whose index comes first: it probes fine, so it fails inside a worker
    full = tmp_path / "faststart.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", films[0], "-c", "copy", "-movflags", "+faststart",
                    str(full)], check=True)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(full.read_bytes()[: full.stat().st_size // 2])

    one = _cli("index", "--json", "--no-progress", *films, lib=tmp_path / "one")
    assert one.returncode == 0, one.stderr
    two = _cli("index", "--json", "--no-progress", "--jobs", "2", *films, str(broken), lib=tmp_path / "two")
    assert two.returncode == 2, two.stderr          # the broken movie is reported ...
    report = json.loads(two.stdout)
    assert [e["where"] for e in report["errors"]] == [str(broken)]
    assert "truncated" in report["errors"][0]["message"]
    assert sorted(m["id"] for m in report["movies"]) == sorted(m["id"] for m in json.loads(one.stdout)["movies"])
    assert len(report["movies"]) == len(films)                                                   # ... alone
    assert all(m["status"] == "indexed" for m in report["movies"])

    assert _contents(tmp_path / "one") == _contents(tmp_path / "two")
    for lib in ("one", "two"):
        check = _cli("check", "--json", lib=tmp_path / lib)
        assert check.returncode == 0, check.stdout
        assert json.loads(check.stdout)["errors"] == []
    assert not any((tmp_path / "two" / "staging").iterdir())   # nothing left half-built

    again = _cli("index", "--json", "--no-progress", "--jobs", "2", *films, lib=tmp_path / "two")
    assert again.returncode == 0, again.stderr
    assert {m["status"] for m in json.loads(again.stdout)["movies"]} == {"unchanged"}


def test_jobs_must_be_a_sensible_number(tmp_path, media):
    res = _cli("index", "--jobs", "0", str(media("bikes.mp4")), lib=tmp_path / "lib")
    assert res.returncode == 2 and "--jobs" in res.stderr and "1 to 64" in res.stderr


def test_a_killed_worker_fails_its_movies_and_the_rerun_resumes(tmp_path, media):
    films = [str(media("bikes.mp4")), str(media("trailer_bbb.mp4"))]
    lib = tmp_path / "lib"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CINESEARCH_FAULT": "decode"}   # SIGKILL mid-decode
    killed = subprocess.run([sys.executable, "-m", "cinesearch.cli", "index", "--json", "--no-progress",
                             "--jobs", "2", *films, "--library", str(lib)], env=env, capture_output=True,
                            text=True, timeout=900, cwd=REPO)
    assert killed.returncode == 2, killed.stderr
    errors = json.loads(killed.stdout)["errors"]
    assert errors and all("worker building it stopped" in e["message"] for e in errors)
    assert len(errors) + len(json.loads(killed.stdout)["movies"]) == len(films)
    rerun = _cli("index", "--json", "--no-progress", "--jobs", "2", *films, lib=lib)
    assert rerun.returncode == 0, rerun.stderr
    assert len(json.loads(rerun.stdout)["movies"]) == len(films)
    check = _cli("check", "--json", lib=lib)
    assert check.returncode == 0 and json.loads(check.stdout)["errors"] == []
