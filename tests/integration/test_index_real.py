"""The indexer end to end on real media, through the CLI (acceptance of the foundation issue)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import movie_builder
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]

FRAME = 1 / 25
BIKES_CUTS = [1.20, 3.04, 5.48, 7.48, 9.68]

pytestmark = pytest.mark.slow


def _starts(cli, library, movie_id):
    res = cli("shots", movie_id, "--json", library=library)
    assert res.code == 0, res.err
    return [s["start"] for s in res.json()]


def _snapshot(library: Path) -> dict[str, str]:
    """Every file of the library with its content hash (the lock file is never written)."""
    return {str(p.relative_to(library)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(library.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("profile", ["fast", "full"])
def test_known_cuts(tmp_path, cli, media, profile):
    lib = tmp_path / "lib"
    res = cli("index", str(media("bikes.mp4")), str(media("carphone_pristine.mp4")), str(media("cityCC0.mpg")),
              "--profile", profile, "--json", library=lib)
    assert res.code == 0, res.err
    assert {m["id"]: m["shots"] for m in res.json()["movies"]} == {"bikes": 6, "carphone-pristine": 1, "citycc0": 2}
    starts = _starts(cli, lib, "bikes")
    assert len(starts) == 6
    for got, want in zip(starts[1:], BIKES_CUTS, strict=True):
        assert abs(got - want) <= 2 * FRAME + 1e-6, (got, want)
    assert _starts(cli, lib, "carphone-pristine") == [0.0]
    city = _starts(cli, lib, "citycc0")
    assert len(city) == 2 and abs(city[1] - 4.64) <= 2 * FRAME + 1e-6


def test_shots_json_contract_and_keyframes(tmp_path, cli, media):
    lib = tmp_path / "lib"
    assert cli("index", str(media("bikes.mp4")), library=lib).code == 0
    shots = cli("shots", "bikes", "--json", library=lib).json()
    for s in shots:
        assert set(s) >= {"index", "start", "end", "keyframes"}
        assert len(s["keyframes"]) == 3
        length = s["end"] - s["start"]
        for k, frac in zip(s["keyframes"], (0.25, 0.5, 0.75), strict=True):
            assert s["start"] <= k["time"] < s["end"]
            assert abs(k["time"] - (s["start"] + frac * length)) <= 2 * FRAME + 1e-6
            with Image.open(lib / k["path"]) as im:
                assert im.format == "JPEG" and im.size[1] == 272
    scenes = cli("scenes", "bikes", "--json", library=lib).json()
    assert scenes[0]["shots"][0] == 0 and scenes[-1]["shots"][1] == len(shots) - 1
    movies = cli("movies", "--json", library=lib).json()
    assert movies[0]["id"] == "bikes" and movies[0]["shots"] == 6
    assert cli("check", library=lib).code == 0


def test_reindex_unchanged_is_a_noop(tmp_path, cli, media):
    lib = tmp_path / "lib"
    assert cli("index", str(media("bikes.mp4")), library=lib).code == 0
    before = _snapshot(lib)
    res = cli("index", str(media("bikes.mp4")), "--json", library=lib)
    assert res.code == 0 and res.json()["movies"][0]["status"] == "unchanged"
    assert _snapshot(lib) == before


def test_changed_profile_reindexes_and_replaces(tmp_path, cli, media):
    lib = tmp_path / "lib"
    assert cli("index", str(media("cityCC0.mpg")), library=lib).code == 0
    res = cli("index", str(media("cityCC0.mpg")), "--profile", "full", "--json", library=lib)
    assert res.json()["movies"][0]["status"] == "indexed"
    assert cli("movies", "--json", library=lib).json()[0]["profile"] == "full"
    assert len(list((lib / "thumbs" / "citycc0").iterdir())) == 1
    assert cli("remove", "citycc0", library=lib).code == 0
    assert cli("movies", "--json", library=lib).json() == []
    assert cli("remove", "citycc0", library=lib).code == 2


@pytest.mark.parametrize("profile", ["fast", "full"])
@pytest.mark.parametrize("build,movie_id", [(movie_builder.fade_movie, "fade-through-black"),
                                            (movie_builder.dissolve_movie, "dissolve")])
def test_gradual_transition_is_one_boundary(tmp_path, cli, profile, build, movie_id):
    """A fade through black (the black gap is no shot of its own) or a 1 s dissolve: one cut, inside
    the transition window, in both profiles."""
    path, (lo, hi) = build()
    lib = tmp_path / "lib"
    assert cli("index", str(path), "--profile", profile, library=lib).code == 0
    starts = _starts(cli, lib, movie_id)
    assert len(starts) == 2, starts
    assert lo - 2 * FRAME <= starts[1] <= hi + 2 * FRAME


def test_scenes_split_where_the_place_changes(tmp_path, cli):
    path, joins = movie_builder.concat_movie()
    lib = tmp_path / "lib"
    assert cli("index", str(path), library=lib).code == 0
    starts = _starts(cli, lib, "bikes-city-carphone")
    assert len(starts) == 9  # 6 bikes shots + 2 city shots + 1 carphone shot
    scenes = cli("scenes", "bikes-city-carphone", "--json", library=lib).json()
    scene_starts = [s["start"] for s in scenes]
    for join in joins:
        assert any(abs(s - join) <= 2 * FRAME for s in scene_starts), (join, scene_starts)
    assert len(scenes) == 3


def test_rotated_video_is_turned_upright(tmp_path, cli, media):
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(media("bikes.mp4")), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(rotated)], check=True)
    lib = tmp_path / "lib"
    assert cli("index", str(rotated), library=lib).code == 0
    movie = cli("movies", "--json", library=lib).json()[0]
    assert (movie["media"]["width"], movie["media"]["height"]) == (272, 640)
    kf = cli("shots", "rotated", "--json", library=lib).json()[0]["keyframes"][0]
    with Image.open(lib / kf["path"]) as im:
        assert im.size[0] < im.size[1]
    # the cuts do not depend on the orientation
    assert len(_starts(cli, lib, "rotated")) == 6


def test_every_intact_container_and_codec_variant_indexes(tmp_path, cli):
    import fixture_media

    variants = fixture_media.iscc_variants()
    src = tmp_path / "variants"
    src.mkdir()
    for ext, path in variants.items():
        (src / f"demo-{ext}.{ext}").symlink_to(path)
    lib = tmp_path / "lib"
    res = cli("index", str(src), "--json", "--no-progress", library=lib)
    counts = {m["id"].removeprefix("demo-"): m["shots"] for m in res.json()["movies"]}
    errors = res.json()["errors"]
    # The Theora streams (ogg, ogv: the same bytes) are damaged in the package itself: FFmpeg
    # cannot decode 3 packets in 4 and libtheora's reference decoder shows garbage blocks. They must
    # be refused with a clear message, not indexed from garbage.
    assert sorted(Path(e["where"]).suffix for e in errors) == [".ogg", ".ogv"]
    assert all("corrupt video" in e["message"] for e in errors)
    assert res.code == 2
    full_length = {k: v for k, v in counts.items() if k != "gif"}  # the GIF holds only the first 5 s
    assert len(full_length) == 18
    reference = counts["mp4"]
    assert all(abs(n - reference) <= 2 for n in full_length.values()), counts
    assert counts["gif"] >= 1
    assert cli("check", library=lib).code == 0


# -- bad input leaves the library byte-for-byte unchanged ----------------------------------------
@pytest.fixture
def existing_library(tmp_path, cli, media):
    lib = tmp_path / "lib"
    assert cli("index", str(media("carphone_pristine.mp4")), library=lib).code == 0
    return lib


def _truncated(tmp_path, media, faststart: bool) -> Path:
    full = tmp_path / ("fs.mp4" if faststart else "plain.mp4")
    args = ["-movflags", "+faststart"] if faststart else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(media("bikes.mp4")), "-c", "copy", *args, str(full)],
                   check=True)
    data = full.read_bytes()
    out = tmp_path / ("truncated_fs.mp4" if faststart else "truncated.mp4")
    out.write_bytes(data[: len(data) // 2])
    return out


@pytest.mark.parametrize("case", ["truncated-faststart", "truncated", "text-as-mp4", "missing", "bad-field",
                                  "empty-file"])
def test_bad_input_exits_2_with_one_line_and_no_change(tmp_path, cli, media, existing_library, case):
    if case == "truncated-faststart":
        target, expect = _truncated(tmp_path, media, True), "truncated_fs.mp4"
    elif case == "truncated":
        target, expect = _truncated(tmp_path, media, False), "truncated.mp4"
    elif case == "text-as-mp4":
        target, expect = tmp_path / "notes.mp4", "notes.mp4"
        target.write_text("this is not a video\n" * 50)
    elif case == "empty-file":
        target, expect = tmp_path / "empty.mp4", "empty.mp4"
        target.write_bytes(b"")
    elif case == "missing":
        target, expect = tmp_path / "nowhere.mp4", "nowhere.mp4"
    else:
        folder = tmp_path / "Badmovie"
        folder.mkdir()
        shutil.copy(media("bikes.mp4"), folder / "film.mp4")
        (folder / "movie.json").write_text(json.dumps({"title": "X", "year": "1997"}))
        target, expect = folder, 'field "year"'
    before = _snapshot(existing_library)
    staged = sorted(p.name for p in (existing_library / "staging").iterdir())
    res = cli("index", str(target), library=existing_library)
    assert sorted(p.name for p in (existing_library / "staging").iterdir()) == staged   # nothing left behind
    assert res.code == 2
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert len(lines) == 1, res.err
    assert expect in lines[0]
    assert _snapshot(existing_library) == before


def test_usage_errors_exit_2_with_one_line(tmp_path, cli):
    for argv in (["index"], ["frobnicate"], ["index", "x", "--profile", "turbo"]):
        res = cli(*argv)
        assert res.code == 2 and len(res.err.strip().splitlines()) == 1, res.err
    res = cli("shots", "nope", library=tmp_path / "none")
    assert res.code == 2 and "no cinesearch library" in res.err


# -- crash safety ---------------------------------------------------------------------------------
def _run_subprocess(args, lib, env_extra=None, timeout=300):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "cinesearch.cli", *args, "--library", str(lib)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)


@pytest.mark.parametrize("point", ["decode", "checkpoint"])
def test_kill_9_then_rerun_completes(tmp_path, media, point):
    lib = tmp_path / "lib"
    first = _run_subprocess(["index", str(media("bikes.mp4"))], lib)
    assert first.returncode == 0, first.stderr
    other = json.loads(_run_subprocess(["movies", "--json"], lib).stdout)[0]

    killed = _run_subprocess(["index", str(media("bikes.mp4")), str(media("demo.mp4"))], lib,
                             {"CINESEARCH_FAULT": point})
    assert killed.returncode == -signal.SIGKILL
    assert (lib / "staging" / "demo").exists()
    ids = [m["id"] for m in json.loads(_run_subprocess(["movies", "--json"], lib).stdout)]
    assert ids == ["bikes"]  # readers never see half a movie

    rerun = _run_subprocess(["index", str(media("bikes.mp4")), str(media("demo.mp4")), "--json"], lib)
    assert rerun.returncode == 0, rerun.stderr
    status = {m["id"]: m["status"] for m in json.loads(rerun.stdout)["movies"]}
    assert status == {"bikes": "unchanged", "demo": "resumed" if point == "checkpoint" else "indexed"}
    check = _run_subprocess(["check", "--json"], lib)
    assert check.returncode == 0 and json.loads(check.stdout) == {"ok": True, "errors": [], "warnings": [],
                                                                   "fixed": []}
    movies = json.loads(_run_subprocess(["movies", "--json"], lib).stdout)
    assert [m for m in movies if m["id"] == "bikes"] == [other]  # untouched


def test_real_kill_9_mid_movie(tmp_path, media):
    """A real SIGKILL from outside, at whatever point the indexer has reached."""
    lib = tmp_path / "lib"
    assert _run_subprocess(["index", str(media("bikes.mp4"))], lib).returncode == 0
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "cinesearch.cli", "index", str(media("demo.mp4")),
                             "--profile", "full", "--library", str(lib)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (lib / "staging" / "demo").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rerun = _run_subprocess(["index", str(media("demo.mp4")), "--json"], lib)
    assert rerun.returncode == 0, rerun.stderr
    check = _run_subprocess(["check"], lib)
    assert check.returncode == 0, check.stderr
    assert {m["id"] for m in json.loads(_run_subprocess(["movies", "--json"], lib).stdout)} == {"bikes", "demo"}


@pytest.mark.parametrize("variant", ["vfr", "tiny"])
def test_variable_frame_rate_and_tiny_resolution(tmp_path, cli, media, variant):
    """Cut times come from timestamps, not frame counts: a VFR file (25 fps, then every other frame
    dropped after 5 s) and a 64x28 downscale keep the bikes cuts."""
    out = tmp_path / f"bikes_{variant}.mp4"
    vf = ["-vf", "select='lt(t,5)+not(mod(n,2))'", "-fps_mode", "vfr"] if variant == "vfr" else ["-vf", "scale=64:28"]
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(media("bikes.mp4")), *vf, "-c:v", "libx264",
                    "-preset", "veryfast", str(out)], check=True)
    lib = tmp_path / "lib"
    assert cli("index", str(out), library=lib).code == 0
    starts = _starts(cli, lib, f"bikes-{variant}")
    assert len(starts) == 6, starts
    tolerance = (4 if variant == "vfr" else 2) * FRAME  # after 5 s a VFR frame lasts 2/25 s
    for got, want in zip(starts[1:], BIKES_CUTS, strict=True):
        assert abs(got - want) <= tolerance + 1e-6, (got, want)


def test_subtitles_are_stored_and_an_unreadable_one_is_refused(tmp_path, cli, media):
    folder = tmp_path / "Bikes Movie"
    folder.mkdir()
    (folder / "bikes.mp4").symlink_to(media("bikes.mp4"))
    (folder / "bikes.en.srt").write_text("1\n00:00:01,200 --> 00:00:03,000\nThe riders take the bend.\n\n",
                                         encoding="utf-16")
    (folder / "movie.json").write_text(json.dumps({"title": "Bikes", "subtitles": ["bikes.en.srt"]}))
    lib = tmp_path / "lib"
    res = cli("index", str(folder), library=lib)
    assert res.code == 0, res.err
    from cinesearch.search.store import open_store

    store = open_store(lib)
    texts = store.get_texts("bikes-movie")
    assert [(t.kind, t.start, t.end, t.text) for t in texts if t.kind == "subtitle"] == [
        ("subtitle", 1.2, 3.0, "The riders take the bend.")]
    assert cli("movies", "--json", library=lib).json()[0]["texts"] == len(texts)
    # a subtitle file that cannot be read: exit 2, one line naming it, the library untouched
    (folder / "bikes.en.srt").write_bytes(b"\x00\xff\x00garbage" * 40)
    before = _snapshot(lib)
    res = cli("index", str(folder), library=lib)
    assert res.code == 2 and "bikes.en.srt" in res.err and len(res.err.strip().splitlines()) == 1
    assert _snapshot(lib) == before


def test_check_fix_removes_or_redoes_everything_check_warns_about(tmp_path, media):
    """A run killed mid-movie leaves staging/ (check warns: an interrupted run) and deleted faiss
    files leave the vectors behind the catalogue (check warns): `check --fix` clears both."""
    lib = tmp_path / "lib"
    assert _run_subprocess(["index", str(media("bikes.mp4"))], lib).returncode == 0
    killed = _run_subprocess(["index", str(media("demo.mp4"))], lib, {"CINESEARCH_FAULT": "decode"})
    assert killed.returncode == -signal.SIGKILL and (lib / "staging" / "demo").exists()
    for faiss_file in (lib / "vectors").glob("*.faiss"):
        faiss_file.unlink()
    warned = json.loads(_run_subprocess(["check", "--json"], lib).stdout)
    assert any("interrupted index run" in w for w in warned["warnings"])
    assert any("behind the catalogue" in w for w in warned["warnings"])
    fixed = _run_subprocess(["check", "--fix", "--json"], lib)
    assert fixed.returncode == 0, fixed.stderr
    out = json.loads(fixed.stdout)
    assert out["warnings"] == [] and out["errors"] == [] and "staging/demo" in out["fixed"]
    assert any(f.startswith("vectors/") for f in out["fixed"])
    assert json.loads(_run_subprocess(["check", "--json"], lib).stdout)["warnings"] == []
    found = json.loads(_run_subprocess(["search", "people riding bicycles", "--json"], lib).stdout)
    assert found["results"][0]["movie_id"] == "bikes"


@pytest.mark.parametrize("limit", [60_000, 400_000, 2_000_000])
def test_a_full_disk_is_one_line_naming_the_library_and_the_rerun_completes(tmp_path, media, limit):
    """RLIMIT_FSIZE stands in for a full disk: writes past `limit` bytes fail (EFBIG) at whatever
    point the indexer has reached; exit 2, one line, the library still checks, and the rerun
    (with room) finishes the movie."""
    import resource

    lib = tmp_path / "lib"
    assert _run_subprocess(["index", str(media("bikes.mp4"))], lib).returncode == 0
    before = json.loads(_run_subprocess(["shots", "bikes", "--json"], lib).stdout)

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    full = subprocess.run([sys.executable, "-m", "cinesearch.cli", "index", str(media("demo.mp4")), "--no-progress",
                           "--library", str(lib)], env=env, cwd=REPO, capture_output=True, text=True, timeout=600,
                          preexec_fn=small_files)
    errors = [ln for ln in full.stderr.splitlines() if ln.startswith("cinesearch: ")]
    assert full.returncode == 2 and len(errors) == 1, full.stderr
    assert "disk is full or a size limit was reached" in errors[0] and "Traceback" not in full.stderr
    check = _run_subprocess(["check", "--json"], lib)
    assert check.returncode == 0 and json.loads(check.stdout)["errors"] == [], check.stdout
    assert json.loads(_run_subprocess(["shots", "bikes", "--json"], lib).stdout) == before
    rerun = _run_subprocess(["index", str(media("demo.mp4")), "--json"], lib)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(_run_subprocess(["check", "--json"], lib).stdout)["warnings"] == []
