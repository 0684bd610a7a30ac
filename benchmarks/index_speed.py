"""Indexing speed per stage, as a multiple of real time (video seconds per wall-clock second).

    python benchmarks/index_speed.py VIDEO [--profile fast|full] [--stages-only]

Films to measure: `python tests/movie_builder.py hd720 hd720-speech` builds a silent and a
fully spoken 60 s 720p film from real clips.

Stages are timed inside one decode pass (as the indexer runs them): decode+scale, each shot
detector, keyframe spooling; then boundary post-processing, keyframe selection, scene grouping,
and finally the whole `Indexer.index` run into a throwaway library. Peak RSS is printed too.
"""

from __future__ import annotations

import argparse
import os
import resource
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
from cinesearch.search.store import open_store


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video", type=Path)
    ap.add_argument("--profile", choices=sorted(PROFILES), default="fast")
    ap.add_argument("--stages-only", action="store_true", help="skip the whole-run measurement")
    args = ap.parse_args()
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
        _, feats = write_keyframes(ranges, stats.times, spool, out)
        timers["keyframe select+write"] = time.perf_counter() - t
        t = time.perf_counter()
        times = [(stats.times[a], stats.times[b - 1]) for a, b in ranges]
        scenes = group_scenes(np.stack(feats), profile.scenes, times=times)
        timers["scene grouping"] = time.perf_counter() - t
        spool.close()
    duration = stats.times[-1] + 1 / info.fps
    print(f"frames: {len(stats.times)}  shots: {len(ranges)}  scenes: {len(scenes)}")
    print(f"{'stage':<24}{'seconds':>9}{'x real time':>14}")
    for name, secs in timers.items():
        speed = duration / secs if secs > 0 else float("inf")
        print(f"{name:<24}{secs:>9.3f}{speed:>13.1f}x")
    print(f"{'single pass (all above)':<24}{pass_total:>9.3f}{duration / pass_total:>13.1f}x")
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


if __name__ == "__main__":
    sys.exit(main())
