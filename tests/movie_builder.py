"""Build test movies from real clips with ffmpeg, so every cut, fade and dissolve has a known time.

All commands are argument lists (no shell). Outputs are cached next to the fixture media.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from fixture_media import CACHE, media

SIZE = "640x360"
FPS = 25


def _norm(label: str, extra: str = "") -> str:
    return (f"scale={SIZE.replace('x', ':')}:force_original_aspect_ratio=decrease,"
            f"pad={SIZE.replace('x', ':')}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={FPS},format=yuv420p{extra}[{label}]")


def _ffmpeg(args: list[str], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
                    "-pix_fmt", "yuv420p", "-an", str(tmp)], check=True)
    tmp.replace(out)
    return out


def built(name: str) -> Path:
    return CACHE / "built" / name


def fade_movie() -> tuple[Path, tuple[float, float]]:
    """city (3.0 s, fading out over its last 0.5 s) + 0.6 s of black + bikes (1.7 s, fading in).
    Returns the file and the black gap (3.0 .. 3.6 s) where the single boundary must fall."""
    out = built("fade_through_black.mp4")
    if not out.exists():
        _ffmpeg(["-i", str(media("cityCC0.mpg")), "-i", str(media("bikes.mp4")), "-filter_complex",
                 "[0:v]trim=1:4,setpts=PTS-STARTPTS," + _norm("a0", "") + ";"
                 "[a0]fade=t=out:st=2.5:d=0.5[a];"
                 f"color=black:s={SIZE}:d=0.6:r={FPS},format=yuv420p,setsar=1[b];"
                 "[1:v]trim=1.3:3.0,setpts=PTS-STARTPTS," + _norm("c0", "") + ";"
                 "[c0]fade=t=in:st=0:d=0.5[c];[a][b][c]concat=n=3:v=1:a=0[v]", "-map", "[v]"], out)
    return out, (3.0, 3.6)


def dissolve_movie() -> tuple[Path, tuple[float, float]]:
    """city (3 s) dissolving into carphone over 1 s (xfade at 2.0 s). Returns the file and the
    dissolve window where the single boundary must fall."""
    out = built("dissolve.mp4")
    if not out.exists():
        _ffmpeg(["-i", str(media("cityCC0.mpg")), "-i", str(media("carphone_pristine.mp4")), "-filter_complex",
                 "[0:v]trim=1:4,setpts=PTS-STARTPTS," + _norm("a") + ";"
                 "[1:v]trim=0:4,setpts=PTS-STARTPTS," + _norm("b") + ";"
                 "[a][b]xfade=transition=fade:duration=1:offset=2[v]", "-map", "[v]"], out)
    return out, (2.0, 3.0)


def concat_movie() -> tuple[Path, list[float]]:
    """bikes (10 s) + city (7.6 s) + carphone (4 s), hard joins. Returns the file and the join times."""
    out = built("bikes_city_carphone.mp4")
    if not out.exists():
        _ffmpeg(["-i", str(media("bikes.mp4")), "-i", str(media("cityCC0.mpg")),
                 "-i", str(media("carphone_pristine.mp4")), "-filter_complex",
                 "[0:v]setpts=PTS-STARTPTS," + _norm("a") + ";[1:v]setpts=PTS-STARTPTS," + _norm("b") + ";"
                 "[2:v]setpts=PTS-STARTPTS," + _norm("c") + ";[a][b][c]concat=n=3:v=1:a=0[v]", "-map", "[v]"], out)
    return out, [10.0, 17.6]


def hd_movie(seconds: int = 60) -> Path:
    """A 1280x720 H.264 film for benchmarks: real clips (Big Buck Bunny, bikes, city) upscaled and
    looped to `seconds`."""
    out = built(f"hd720_{seconds}s.mp4")
    if not out.exists():
        norm = "scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25"
        _ffmpeg(["-i", str(media("bigbuckbunny.mp4")), "-i", str(media("bikes.mp4")), "-i", str(media("cityCC0.mpg")),
                 "-filter_complex",
                 f"[0:v]{norm}[a];[1:v]{norm}[b];[2:v]{norm}[c];[a][b][c]concat=n=3:v=1:a=0,loop=loop=-1:size=32767,"
                 f"trim=0:{seconds}[v]", "-map", "[v]"], out)
    return out
