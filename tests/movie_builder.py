"""Build test movies from real clips with ffmpeg, so every cut, fade and dissolve has a known time.

All commands are argument lists (no shell). Outputs are cached next to the fixture media.
"""

from __future__ import annotations

import json
import os
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


NARRATION = ("The old lighthouse keeper climbed the stairs every evening. He watched the ships pass in the fog, "
             "and wrote their names in a small blue book. One night a boat with no lights came close to the rocks. "
             "He rang the bell again and again until the captain turned away. In the morning the town came to "
             "thank him. ")


def hd_speech_movie(seconds: int = 60) -> Path:
    """`hd_movie` with espeak-ng narration over nearly all of it: the worst case for the speech layer
    (a film without subtitles that talks all the time)."""
    out = built(f"hd720_{seconds}s_speech.mp4")
    if not out.exists():
        video = hd_movie(seconds)
        wav = built(f"narration_{seconds}s.wav")
        words = max(1, round(seconds * 160 / 60))   # espeak speaks ~160 words a minute at -s 160
        text = " ".join((NARRATION * (1 + words // len(NARRATION.split()))).split()[:words])
        subprocess.run(["espeak-ng", "-s", "160", "-w", str(wav), text], check=True, capture_output=True)
        tmp = out.with_name(out.stem + ".part.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-i", str(wav), "-map", "0:v", "-map", "1:a",
                        "-c:v", "copy", "-c:a", "aac", "-b:a", "96k", "-t", str(seconds), str(tmp)], check=True)
        tmp.replace(out)
        wav.unlink(missing_ok=True)
    return out


# -- a realistic "movie": real clips and real photos as shots, a spoken line, burned-in text ------
SPOKEN = "Please bring the blue umbrella to the train station."
SPOKEN_AT = 21.5
CAPTION = "MEET ME AT THE LIGHTHOUSE"
# (source, seconds, burned-in text): the shot list of the story movie, in order
STORY_SHOTS: list[tuple[str, float, str]] = [
    ("bikes.mp4", 3.0, ""), ("dog.jpg", 3.0, ""), ("horses.jpg", 3.0, ""), ("eagle.jpg", 3.0, ""),
    ("giraffe.jpg", 3.0, CAPTION), ("kite.jpg", 3.0, ""), ("person.jpg", 3.0, ""), ("cityCC0.mpg", 4.0, ""),
]
# subtitle cues (start, end, text): each lies inside one shot
STORY_CUES: list[tuple[float, float, str]] = [
    (3.5, 5.5, "Look, the dog is waiting next to the bicycle."),
    (15.5, 17.5, "The kites are dancing high above the beach."),
    (SPOKEN_AT, 24.5, SPOKEN),
]


def story_spans() -> list[tuple[str, float, float, str]]:
    """(source, start, end, caption) of each planted shot, in movie time."""
    out, t = [], 0.0
    for src, secs, caption in STORY_SHOTS:
        out.append((src, t, t + secs, caption))
        t += secs
    return out


def _photo_frame(src: Path, caption: str, dest: Path) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    w, h = (int(v) for v in SIZE.split("x"))
    with Image.open(src) as im:
        im = im.convert("RGB")
        im.thumbnail((w, h))
        canvas = Image.new("RGB", (w, h))
        canvas.paste(im, ((w - im.width) // 2, (h - im.height) // 2))
    if caption:
        draw = ImageDraw.Draw(canvas)
        font = ImageFont.load_default(size=40)
        box = draw.textbbox((0, 0), caption, font=font)
        draw.text(((w - (box[2] - box[0])) // 2, h - 70), caption, font=font, fill=(255, 255, 255),
                  stroke_width=3, stroke_fill=(0, 0, 0))
    canvas.save(dest)
    return dest


def story_movie() -> Path:
    """25 s at 640x360: bikes, six darknet photos held as shots (one with a burned-in caption) and
    the city clip, with SPOKEN said by espeak-ng at SPOKEN_AT seconds. Every boundary, word and
    caption has a known time (story_spans, STORY_CUES)."""
    out = built("story.mp4")
    if out.exists():
        return out
    work = built("story-parts")
    work.mkdir(parents=True, exist_ok=True)
    inputs: list[str] = []
    chains: list[str] = []
    for i, (src, secs, caption) in enumerate(STORY_SHOTS):
        if src.endswith(".jpg"):
            frame = _photo_frame(media(src), caption, work / f"{i}.png")
            inputs += ["-loop", "1", "-t", str(secs), "-i", str(frame)]
        else:
            inputs += ["-t", str(secs), "-i", str(media(src))]
        chains.append(f"[{i}:v]trim=0:{secs},setpts=PTS-STARTPTS," + _norm(f"v{i}"))
    wav = work / "spoken.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), SPOKEN], check=True, capture_output=True)
    n = len(STORY_SHOTS)
    total = sum(secs for _, secs, _ in STORY_SHOTS)
    inputs += ["-i", str(wav), "-f", "lavfi", "-t", str(total), "-i", "anullsrc=r=22050:cl=mono"]
    delay = int(SPOKEN_AT * 1000)
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v];" \
        f"[{n}:a]adelay={delay}:all=1[s];[{n + 1}:a][s]amix=inputs=2:duration=first:normalize=0[a]"
    tmp = out.with_name("story.part.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]", "-map", "[a]",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-t", str(total), str(tmp)], check=True)
    tmp.replace(out)
    return out


def shot_movie(name: str, parts: list[tuple[str | Path, float, float]]) -> Path:
    """A silent 640x360 film of `parts` (source, offset into it, seconds) in order: clips are cut
    from `offset`, photos held still. A source is a fixture name, or the Path of a still frame
    already made at the film's size. Every boundary lies at a known time."""
    out = built(f"{name}.mp4")
    if out.exists():
        return out
    work = built("shot-parts")
    work.mkdir(parents=True, exist_ok=True)
    inputs: list[str] = []
    chains: list[str] = []
    for i, (src, offset, secs) in enumerate(parts):
        if isinstance(src, Path) or src.endswith((".jpg", ".png")):
            frame = src if isinstance(src, Path) else _photo_frame(media(src), "", work / f"{Path(src).stem}.png")
            inputs += ["-loop", "1", "-t", str(secs), "-i", str(frame)]
            chains.append(f"[{i}:v]trim=0:{secs},setpts=PTS-STARTPTS," + _norm(f"v{i}"))
        else:
            inputs += ["-i", str(media(src))]
            chains.append(f"[{i}:v]trim={offset}:{offset + secs},setpts=PTS-STARTPTS," + _norm(f"v{i}"))
    n = len(parts)
    return _ffmpeg([*inputs, "-filter_complex", ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(n))
                    + f"concat=n={n}:v=1:a=0[v]", "-map", "[v]"], out)


def zoomed_out(src: str, scale: float, dest: Path) -> Path:
    """A real photo shrunk to `scale` of the frame, centred on grey: the same person, too small
    for a face detector (a wide shot). Not black: a near-black frame reads as a fade."""
    from PIL import Image

    w, h = (int(v) for v in SIZE.split("x"))
    with Image.open(media(src)) as im:
        im = im.convert("RGB")
        im.thumbnail((int(w * scale), int(h * scale)))
        canvas = Image.new("RGB", (w, h), (120, 120, 120))
        canvas.paste(im, ((w - im.width) // 2, (h - im.height) // 2))
    dest.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(dest)
    return dest


# The cast evaluation film: (source, seconds, who is on screen). Portraits: obama.jpg, biden.jpg.
CAST_SHOTS: list[tuple[str, float, str | None]] = [
    ("bikes.mp4", 3.0, None), ("obama3.jpg", 2.5, "Obama"), ("obama3@0.35", 2.5, "Obama"),
    ("biden.jpg", 2.5, "Biden"), ("cityCC0.mpg", 3.0, None), ("t1.jpg", 2.5, None),
    ("obama_partial_face.jpg", 2.5, "Obama"), ("person.jpg", 2.5, None), ("obama_partial_face2.jpg", 2.5, "Obama"),
    ("astronaut.png", 2.5, None), ("carphone_pristine.mp4", 3.0, None),
]


def cast_movie() -> Path:
    """Real clips and real face photos held as shots (CAST_SHOTS), 640x360; 'obama3@0.35' is obama3
    zoomed out to about a third of the frame."""
    parts: list[tuple[str | Path, float, float]] = []
    for i, (src, secs, _) in enumerate(CAST_SHOTS):
        if "@" in src:
            name, scale = src.split("@")
            parts.append((zoomed_out(f"{name}.jpg", float(scale), built("cast-parts") / f"{i}.png"), 0.0, secs))
        else:
            parts.append((src, 0.0, secs))
    return shot_movie("cast", parts)


def story_folder(root: Path, title: str = "Story", name: str = "story") -> Path:
    """A movie folder: the story film (hard link), its subtitle file, and a movie.json naming both."""
    folder = root / name
    folder.mkdir()
    os.link(story_movie(), folder / "story.mp4")
    write_srt(folder / "story.en.srt", STORY_CUES)
    (folder / "movie.json").write_text(json.dumps({"title": title, "genres": ["Drama"],
                                                   "subtitles": ["story.en.srt"]}))
    return folder


def cast_folder(root: Path) -> Path:
    """The cast film as a movie folder: movie.json with Obama's and Biden's portraits (obama.jpg,
    biden.jpg; the searches use other photos)."""
    import shutil

    folder = root / "summit"
    (folder / "cast").mkdir(parents=True)
    os.link(cast_movie(), folder / "summit.mp4")
    shutil.copy(media("obama.jpg"), folder / "cast" / "obama.jpg")
    shutil.copy(media("biden.jpg"), folder / "cast" / "biden.jpg")
    (folder / "movie.json").write_text(json.dumps({
        "id": "summit", "title": "Summit", "year": 2009, "genres": ["Politics"],
        "cast": [{"character": "Obama", "actor": "Barack Obama", "portrait": "cast/obama.jpg"},
                 {"character": "Biden", "actor": "Joe Biden", "portrait": "cast/biden.jpg"}]}))
    return folder


def cast_spans() -> list[tuple[float, float, str | None]]:
    out, t = [], 0.0
    for _, secs, who in CAST_SHOTS:
        out.append((t, t + secs, who))
        t += secs
    return out


def write_srt(path: Path, cues: list[tuple[float, float, str]]) -> Path:
    def ts(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
    path.write_text("".join(f"{i}\n{ts(a)} --> {ts(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1)),
                    encoding="utf-8")
    return path


if __name__ == "__main__":
    # python tests/movie_builder.py hd720 hd720-speech: build the benchmark films, print their paths
    import sys
    films = {"hd720": hd_movie, "hd720-speech": hd_speech_movie, "story": story_movie, "cast": cast_movie}
    for name in sys.argv[1:] or ["hd720", "hd720-speech"]:
        print(films[name]())
