"""Indexing speed per stage, as a multiple of real time (video seconds per wall-clock second).

    python benchmarks/index_speed.py VIDEO [--profile fast|full] [--stages-only]
    python benchmarks/index_speed.py VIDEO --vs-pyscenedetect [--pairs 3]

Films to measure: `python tests/movie_builder.py hd720 hd720-speech` builds a silent and a
fully spoken 60 s 720p film from real clips.

Stages are timed inside one decode pass (as the indexer runs them): decode+scale, each shot
detector, keyframe spooling; then boundary post-processing, keyframe selection, scene grouping,
the vision models one by one over the keyframes just written (each model alone, one stream: what
it costs), then the vision stage as the indexer runs it (two streams), and finally the whole
`Indexer.index` run into a throwaway library. Peak RSS is printed too.

--vs-pyscenedetect times whole processes instead, cold (each loads its own models), alternating:
`cinesearch index` with the profile, and PySceneDetect's `scenedetect -i VIDEO detect-adaptive`
(the tool one would otherwise run for shots alone), `--pairs` times each; it prints every run,
the medians, their ratio and each one's peak RSS (from wait4, per process).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from cinesearch.indexer.decode import shot_ranges, write_keyframes
from cinesearch.indexer.film_language import MotionMeter
from cinesearch.indexer.keyframes import ThumbSpool
from cinesearch.indexer.media import FramePlan, iter_frames, probe
from cinesearch.indexer.movie_spec import load_video_file
from cinesearch.indexer.pipeline import PROFILES, Indexer
from cinesearch.indexer.scenes import group_scenes
from cinesearch.indexer.shot_detectors import ContentShotDetector, FrameStats, GradualShotDetector, TransNetShotDetector
from cinesearch.indexer.understand import VisionPlan, load_rgb, run_vision, vision_models
from cinesearch.search.store import open_store

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video", type=Path)
    ap.add_argument("--profile", choices=sorted(PROFILES), default="fast")
    ap.add_argument("--stages-only", action="store_true", help="skip the whole-run measurement")
    ap.add_argument("--vs-pyscenedetect", action="store_true",
                    help="time whole cold processes: cinesearch index vs scenedetect detect-adaptive, alternating")
    ap.add_argument("--pairs", type=int, default=3, help="runs of each with --vs-pyscenedetect (default 3)")
    args = ap.parse_args()
    if args.vs_pyscenedetect:
        return versus_pyscenedetect(args.video, args.profile, args.pairs)
    profile = PROFILES[args.profile]
    info = probe(args.video)
    print(f"video: {args.video.name}  {info.width}x{info.height} {info.codec} {info.fps:.3f} fps "
          f"{info.duration:.1f} s  profile={profile.name}  threads={os.cpu_count()}")

    thumb_every = max(1, round(info.fps / profile.thumb_fps))
    plan = FramePlan(analysis_width=profile.analysis_width, tiny=profile.transnet,
                     thumb_height=profile.thumb_height, thumb_every=thumb_every)
    timers = {"decode+scale": 0.0, "content detector": 0.0, "frame stats": 0.0, "camera motion": 0.0,
              "keyframe spool": 0.0}
    content = ContentShotDetector(info.fps, profile.content_threshold)
    stats = FrameStats()
    motion = MotionMeter(every=max(1, round(info.fps / 8)) if info.fps > 0 else 3)
    gradual = GradualShotDetector(info.fps) if profile.gradual else None
    if gradual is not None:
        timers["gradual detector"] = 0.0
    transnet = None
    if profile.transnet:
        t = time.perf_counter()
        transnet = TransNetShotDetector(profile.transnet_threshold)
        print(f"  (TransNetV2 load: {time.perf_counter() - t:.2f} s, not counted)")
        timers["transnetv2"] = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        spool = ThumbSpool(Path(tmp) / "spool")
        frames = iter_frames(info, plan)
        t_all = time.perf_counter()
        while True:
            t = time.perf_counter()
            frame = next(frames, None)
            timers["decode+scale"] += time.perf_counter() - t
            if frame is None:
                break
            for name, fn in (("content detector", content.push), ("frame stats", stats.push)):
                t = time.perf_counter()
                fn(frame)
                timers[name] += time.perf_counter() - t
            t = time.perf_counter()
            motion.push(frame.time, frame.analysis)
            timers["camera motion"] += time.perf_counter() - t
            if gradual is not None:
                t = time.perf_counter()
                gradual.push(frame)
                timers["gradual detector"] += time.perf_counter() - t
            if transnet is not None:
                t = time.perf_counter()
                transnet.push(frame)
                timers["transnetv2"] += time.perf_counter() - t
            if frame.thumb is not None:
                t = time.perf_counter()
                spool.add(frame.index, frame.thumb)
                timers["keyframe spool"] += time.perf_counter() - t
        t = time.perf_counter()
        c_out = content.finish()
        if transnet is not None:
            t_tn = time.perf_counter()
            tn_out = transnet.finish()
            timers["transnetv2"] += time.perf_counter() - t_tn
        else:
            tn_out = None
        pass_total = time.perf_counter() - t_all
        t = time.perf_counter()
        ranges = shot_ranges(profile, c_out, tn_out, stats, info.fps, gradual)
        timers["boundaries"] = time.perf_counter() - t
        t = time.perf_counter()
        out = Path(tmp) / "thumbs"
        out.mkdir()
        written, feats = write_keyframes(ranges, stats.times, spool, out)
        timers["keyframe select+write"] = time.perf_counter() - t
        t = time.perf_counter()
        times = [(stats.times[a], stats.times[b - 1]) for a, b in ranges]
        scenes = group_scenes(np.stack(feats), profile.scenes, times=times)
        timers["scene grouping"] = time.perf_counter() - t
        spool.close()
        keyframes = [[(when, out / name) for _, when, name in kfs] for kfs in written]
        vision_rows = vision_breakdown(keyframes, profile.vision)
    duration = stats.times[-1] + 1 / info.fps
    print(f"frames: {len(stats.times)}  shots: {len(ranges)}  scenes: {len(scenes)}")
    print(f"{'stage':<24}{'seconds':>9}{'x real time':>14}")
    for name, secs in timers.items():
        speed = duration / secs if secs > 0 else float("inf")
        print(f"{name:<24}{secs:>9.3f}{speed:>13.1f}x")
    print(f"{'single pass (all above)':<24}{pass_total:>9.3f}{duration / pass_total:>13.1f}x")
    print(f"{'vision, per model':<24}{'seconds':>9}{'x real time':>14}{'images':>8}{'ms/image':>10}")
    for name, secs, images in vision_rows:
        speed = duration / secs if secs > 0 else float("inf")
        per = f"{1000 * secs / images:>10.1f}" if images else ""
        print(f"  {name:<22}{secs:>9.3f}{speed:>13.1f}x{images:>8}{per}")
    if not args.stages_only:
        # Twice: 'cold' loads every model (once per process), 'warm' is the next movie of a library run.
        for label in ("cold", "warm"):
            with tempfile.TemporaryDirectory() as tmp:
                store = open_store(Path(tmp) / "lib", create=True)
                with store.writer():
                    t = time.perf_counter()
                    outcome = Indexer(store, profile, progress=False).index(load_video_file(args.video))
                    whole = time.perf_counter() - t
                tracks = store.get_tracks(outcome.movie_id)
                store.close()
            print(f"{'whole run, ' + label:<24}{whole:>9.3f}{duration / whole:>13.1f}x   "
                  f"({outcome.shots} shots, {outcome.scenes} scenes; hashing and the SQLite write included)")
            for name, secs in outcome.timings.items():
                speed = duration / secs if secs > 0 else float("inf")
                state = outcome.stages.get(name, "")
                print(f"  {'layer ' + name:<22}{secs:>9.3f}{speed:>13.1f}x   {state}")
            faces = [t for t in tracks if t.kind == "face"]
            detections = sum(t.detections for t in faces)
            face_secs = outcome.timings.get("faces", 0.0)
            if face_secs > 0:
                beside = " (the fast profile runs faces beside the vision layer: this is what was left after it)" \
                    if profile.faces_where_people else ""
                print(f"  faces: {detections} detections in {len(faces)} tracks, "
                      f"{len(tracks) - len(faces)} faceless bodies; layer {face_secs:.2f} s{beside}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {rss:.0f} MiB")
    return 0


def vision_breakdown(keyframes: list[list[tuple[float, Path]]], plan: VisionPlan) -> list[tuple[str, float, int]]:
    """(name, seconds, images) for each vision model alone on the keyframes the indexer would give
    it (one stream, models loaded first), then the vision stage as the indexer runs it."""
    def pick(kfs: list, wanted: tuple[int, ...]) -> list:
        return [kfs[len(kfs) // 2]] if len(kfs) < 3 else [kfs[i] for i in wanted if i < len(kfs)]

    classifier, detector, reader = vision_models()
    rows: list[tuple[str, float, int]] = []
    t = time.perf_counter()
    images = [[(when, load_rgb(path)) for when, path in kfs] for kfs in keyframes]
    rows.append(("JPEG decode", time.perf_counter() - t, sum(len(k) for k in images)))
    for name, model, wanted in (("EfficientNet-Lite3", classifier, plan.classify_keyframes),
                                ("SSD MobileNet v2", detector, plan.detect_keyframes),
                                ("OCR (det + rec)", reader, plan.ocr_keyframes)):
        if model is None:
            continue
        batch = [img for kfs in images for _, img in pick(kfs, wanted)]
        t = time.perf_counter()
        for img in batch:
            model(img)
        rows.append((name, time.perf_counter() - t, len(batch)))
    del images
    t = time.perf_counter()
    run_vision(keyframes, plan)
    rows.append(("vision stage (2 streams)", time.perf_counter() - t, 0))
    return rows


def _timed_process(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit status) of one child process, its RSS from wait4."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t
    if proc.returncode:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return wall, usage.ru_maxrss / 1024, proc.returncode


def versus_pyscenedetect(video: Path, profile: str, pairs: int) -> int:
    """Whole cold processes, alternating which goes first, so a machine's slow minute falls on both."""
    scenedetect = shutil.which("scenedetect", path=str(Path(sys.executable).parent)) or shutil.which("scenedetect")
    if scenedetect is None:
        print("scenedetect is not installed (pip install scenedetect)", file=sys.stderr)
        return 2
    info = probe(video)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    print(f"video: {video.name}  {info.width}x{info.height} {info.codec} {info.fps:.3f} fps {info.duration:.1f} s  "
          f"profile={profile}  cores={os.cpu_count()}")
    runs: dict[str, list[tuple[float, float]]] = {"cinesearch": [], "pyscenedetect": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(pairs):
            order = ["cinesearch", "pyscenedetect"] if i % 2 == 0 else ["pyscenedetect", "cinesearch"]
            for tool in order:
                if tool == "cinesearch":
                    lib = Path(tmp) / f"lib{i}"
                    cmd = [sys.executable, "-m", "cinesearch.cli", "--library", str(lib), "index", "--profile",
                           profile, "--no-progress", str(video)]
                else:
                    cmd = [scenedetect, "-q", "-i", str(video), "detect-adaptive", "list-scenes", "-n", "-q"]
                wall, rss, code = _timed_process(cmd, env)
                if code:
                    print(f"{tool} failed (exit {code})", file=sys.stderr)
                    return 1
                runs[tool].append((wall, rss))
                print(f"pair {i + 1} {tool:<14}{wall:>8.1f} s {info.duration / wall:>6.1f}x real time  "
                      f"peak RSS {rss:>6.0f} MiB", flush=True)
                shutil.rmtree(Path(tmp) / f"lib{i}", ignore_errors=True)
    ours = statistics.median(w for w, _ in runs["cinesearch"])
    theirs = statistics.median(w for w, _ in runs["pyscenedetect"])
    print(f"median cinesearch {profile}: {ours:.1f} s ({info.duration / ours:.1f}x real time), "
          f"peak RSS {max(r for _, r in runs['cinesearch']):.0f} MiB")
    print(f"median pyscenedetect detect-adaptive: {theirs:.1f} s ({info.duration / theirs:.1f}x real time), "
          f"peak RSS {max(r for _, r in runs['pyscenedetect']):.0f} MiB")
    print(f"ratio cinesearch / pyscenedetect: {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
