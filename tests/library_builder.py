"""A movie library in Kodi/Jellyfin layout, built with ffmpeg from the real fixtures (real clips,
real face photos, espeak-ng speech), with no movie.json anywhere:

    ROOT/
      Summit (2009)/                      film A: MKV with an English SRT and a French ASS stream
        Summit (2009).mkv
        Summit (2009).en.sdh.srt          a sidecar (English, SDH)
        movie.nfo                         genres, tags, two actors
        .actors/Barack_Obama.jpg, .actors/Joe_Biden.jpg
        poster.jpg
        trailers/Summit (2009)-trailer.mp4
      Harbour (2011)/                     film B: MP4 with a mov_text track; three spoken lines,
        Harbour (2011).mp4                only the first and last subtitled
      Bikes (2005).mp4                    film C: loose in the root, with its own NFO and SRT
      Bikes (2005).nfo
      Bikes (2005).srt

All commands are argument lists (no shell). The films are cached next to the fixture media; the
library itself is laid out (hard links) in a folder the caller gives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import movie_builder as mb
from fixture_media import media

A_SRT_LINE = "The convoy leaves the capital at dawn."
A_ASS_LINE = "Le cortège quitte la capitale à l'aube."
A_SDH_LINE = "[helicopter blades whirring overhead]"
A_TAGS = ["white house", "press conference"]
A_GENRES = ["Politics", "Drama"]
A_ROLES = {"Obama": "The President", "Biden": "The Vice President"}
B_LINES = [  # (start, text, subtitled)
    (1.0, "The lighthouse keeper found a golden key under the stairs.", True),
    (8.5, "Nobody noticed the red balloon drifting over the harbour.", False),
    (16.0, "We will sail to the island before the storm arrives.", True),
]
B_SECONDS = 24.0
C_LINE = "The riders race along the canal and they wave at the boats."
C_TAGS = ["cycling"]


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True)


def _srt_text(cues: list[tuple[float, float, str]]) -> str:
    def ts(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
    return "".join(f"{i}\n{ts(a)} --> {ts(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1))


def _ass_text(cues: list[tuple[float, float, str]]) -> str:
    def ts(t: float) -> str:
        cs = round(t * 100)
        return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"
    head = ("[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, "
            "SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
            "Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\nStyle: Default,Arial,"
            "20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1\n\n[Events]\n"
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")
    # karaoke and italics tags, as real fansubs have them: the indexer must strip them
    styled = [(a, b, "{\\k40}" + text.replace("cortège", "{\\i1}cortège{\\i0}")) for a, b, text in cues]
    return head + "".join(f"Dialogue: 0,{ts(a)},{ts(b)},Default,,0,0,0,,{text}\n" for a, b, text in styled)


def film_a() -> Path:
    """The cast film with two embedded text subtitle streams (English SRT, French ASS)."""
    out = mb.built("library/summit.mkv")
    if out.exists():
        return out
    work = out.parent
    work.mkdir(parents=True, exist_ok=True)
    (work / "a.en.srt").write_text(_srt_text([(4.0, 6.5, A_SRT_LINE)]), encoding="utf-8")
    (work / "a.fr.ass").write_text(_ass_text([(12.0, 14.5, A_ASS_LINE)]), encoding="utf-8")
    tmp = work / "summit.part.mkv"
    _run(["ffmpeg", "-v", "error", "-y", "-i", str(mb.cast_movie()), "-i", str(work / "a.en.srt"),
          "-i", str(work / "a.fr.ass"), "-map", "0:v", "-map", "1", "-map", "2", "-c:v", "copy",
          "-c:s:0", "srt", "-c:s:1", "ass", "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre",
          str(tmp)])
    tmp.replace(out)
    return out


def film_b() -> Path:
    """Photos and a clip with three espeak-ng lines; a mov_text track subtitles the 1st and 3rd."""
    out = mb.built("library/harbour.mp4")
    if out.exists():
        return out
    video = mb.shot_movie("harbour", [("kite.jpg", 0.0, 8.0), ("horses.jpg", 0.0, 8.0), ("eagle.jpg", 0.0, 8.0)])
    work = out.parent
    work.mkdir(parents=True, exist_ok=True)
    wavs = []
    for i, (_, text, _) in enumerate(B_LINES):
        wav = work / f"b{i}.wav"
        _run(["espeak-ng", "-s", "150", "-w", str(wav), text])
        wavs.append(wav)
    inputs = [a for w in wavs for a in ("-i", str(w))]
    delays = ";".join(f"[{i + 1}:a]adelay={int(start * 1000)}:all=1,aresample=16000[a{i}]"
                      for i, (start, _, _) in enumerate(B_LINES))
    mix = "".join(f"[a{i}]" for i in range(len(B_LINES))) + f"amix=inputs={len(B_LINES)}:normalize=0[aud]"
    subs = work / "b.srt"
    subs.write_text(_srt_text([(start, start + 4.0, text) for start, text, shown in B_LINES if shown]),
                    encoding="utf-8")
    tmp = work / "harbour.part.mp4"
    _run(["ffmpeg", "-v", "error", "-y", "-i", str(video), *inputs, "-i", str(subs), "-filter_complex",
          f"{delays};{mix}", "-map", "0:v", "-map", "[aud]", "-map", f"{len(B_LINES) + 1}:s", "-c:v", "copy",
          "-c:a", "aac", "-b:a", "64k", "-c:s", "mov_text", "-metadata:s:s:0", "language=eng",
          "-t", str(B_SECONDS), str(tmp)])
    tmp.replace(out)
    for w in wavs:
        w.unlink(missing_ok=True)
    return out


def film_c() -> Path:
    return mb.shot_movie("bikes-loose", [("bikes.mp4", 0.0, 4.0), ("dog.jpg", 0.0, 3.0)])


def trailer() -> Path:
    return mb.shot_movie("summit-trailer", [("obama3.jpg", 0.0, 1.5), ("cityCC0.mpg", 1.0, 1.5)])


NFO_A = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie>
  <title>Summit</title>
  <originaltitle>Le Sommet</originaltitle>
  <year>2009</year>
  <premiered>2009-06-01</premiered>
  <plot>Two leaders meet in the capital. A convoy crosses the city at dawn.</plot>
  <outline>Two leaders meet.</outline>
  {"".join(f"<genre>{g}</genre>" for g in A_GENRES)}
  {"".join(f"<tag>{t}</tag>" for t in A_TAGS)}
  <ratings><rating name="imdb" max="10" default="true"><value>7.1</value><votes>120</votes></rating></ratings>
  <runtime>1</runtime>
  <uniqueid type="imdb" default="true">tt0000001</uniqueid>
  <uniqueid type="tmdb">4242</uniqueid>
  <actor><name>Barack Obama</name><role>{A_ROLES["Obama"]}</role><order>0</order>
    <thumb>https://image.example/obama.jpg</thumb></actor>
  <actor><name>Joe Biden</name><role>{A_ROLES["Biden"]}</role><order>1</order></actor>
</movie>
https://www.themoviedb.org/movie/4242
"""

NFO_C = f"""<?xml version="1.0" encoding="UTF-8"?>
<movie><title>Bikes</title><year>2005</year><genre>Sport</genre>
{"".join(f"<tag>{t}</tag>" for t in C_TAGS)}<plot>Riders on a towpath.</plot></movie>
"""


def _link(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def kodi_library(root: Path) -> Path:
    """Lay the library out under `root` (which must not exist yet) and return it."""
    a = root / "Summit (2009)"
    _link(film_a(), a / "Summit (2009).mkv")
    (a / "Summit (2009).en.sdh.srt").write_text(_srt_text([(20.0, 22.5, A_SDH_LINE)]), encoding="utf-8")
    (a / "movie.nfo").write_text(NFO_A, encoding="utf-8")
    (a / ".actors").mkdir()
    shutil.copy(media("obama.jpg"), a / ".actors" / "Barack_Obama.jpg")
    shutil.copy(media("biden.jpg"), a / ".actors" / "Joe_Biden.jpg")
    shutil.copy(media("kite.jpg"), a / "poster.jpg")
    _link(trailer(), a / "trailers" / "Summit (2009)-trailer.mp4")
    b = root / "Harbour (2011)"
    _link(film_b(), b / "Harbour (2011).mp4")
    _link(film_c(), root / "Bikes (2005).mp4")
    (root / "Bikes (2005).nfo").write_text(NFO_C, encoding="utf-8")
    (root / "Bikes (2005).srt").write_text(_srt_text([(1.0, 3.0, C_LINE)]), encoding="utf-8")
    return root


FR_LINE = "Le train de nuit part pour Marseille à minuit."
EN_LINE = "The night train leaves for the coast at midnight."


def two_voices() -> Path:
    """Photos with two audio streams: French (default) and English, each one spoken line, tagged
    fre and eng; and the same film with one untagged French stream (`two_voices_untagged`)."""
    out = mb.built("library/two-voices.mkv")
    if out.exists():
        return out
    video = mb.shot_movie("two-voices", [("kite.jpg", 0.0, 5.0), ("horses.jpg", 0.0, 5.0)])
    work = out.parent
    work.mkdir(parents=True, exist_ok=True)
    fr, en = work / "fr.wav", work / "en.wav"
    _run(["espeak-ng", "-v", "fr", "-s", "140", "-w", str(fr), FR_LINE])
    _run(["espeak-ng", "-s", "150", "-w", str(en), EN_LINE])
    tmp = work / "two-voices.part.mkv"
    _run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-i", str(fr), "-i", str(en), "-filter_complex",
          "[1:a]adelay=1000:all=1[f];[2:a]adelay=1000:all=1[e]", "-map", "0:v", "-map", "[f]", "-map", "[e]",
          "-c:v", "copy", "-c:a", "aac", "-b:a", "64k", "-metadata:s:a:0", "language=fre",
          "-metadata:s:a:1", "language=eng", "-disposition:a:0", "default", "-disposition:a:1", "0",
          "-t", "10", str(tmp)])
    tmp.replace(out)
    untagged = mb.built("library/french-untagged.mp4")
    _run(["ffmpeg", "-v", "error", "-y", "-i", str(out), "-map", "0:v", "-map", "0:a:0", "-c", "copy",
          "-metadata:s:a:0", "language=und", str(untagged)])
    for w in (fr, en):
        w.unlink(missing_ok=True)
    return out


def french_untagged() -> Path:
    two_voices()
    return mb.built("library/french-untagged.mp4")


SAMPLE_CLIPS = ("bikes.mp4", "cityCC0.mpg", "carphone_pristine.mp4", "bigbuckbunny.mp4", "demo.mp4")


def sample_library(root: Path) -> Path:
    """The demo's sample folder (README command (1)): five real fixture clips, loose, and the
    Kodi-layout library under `root/Movies`. Rebuilt in place; returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_CLIPS:
        link = root / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(media(name))
    shutil.rmtree(root / "Movies", ignore_errors=True)
    kodi_library(root / "Movies")
    return root


if __name__ == "__main__":
    # python tests/library_builder.py DEST: lay the Kodi-layout library out at DEST;
    # python tests/library_builder.py --sample DEST: the demo's whole sample folder (README command (1))
    import sys

    if sys.argv[1] == "--sample":
        print(sample_library(Path(sys.argv[2])))
    else:
        print(kodi_library(Path(sys.argv[1])))
