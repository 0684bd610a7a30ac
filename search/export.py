"""Search results as editorial selects: a timeline an editor drops into their NLE (a CMX 3600 EDL or
an OpenTimelineIO file, written by OpenTimelineIO and its CMX adapter) or a CSV a researcher opens
in a spreadsheet. Each result is one clip: the movie's video file, the clip's span in that file's
own frame rate, in result order, with the score and the reasons it matched."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cinesearch.errors import UserError
from cinesearch.search.store import Movie


@dataclass(frozen=True)
class Format:
    adapter: str | None      # OpenTimelineIO adapter; None: written here
    mimetype: str
    suffix: str


FORMATS = {
    "edl": Format("cmx_3600", "text/plain", ".edl"),
    "otio": Format("otio_json", "application/json", ".otio"),
    "csv": Format(None, "text/csv", ".csv"),
}
DEFAULT_FPS = 25.0


class ExportError(UserError, ValueError):
    """An export that cannot be written as asked (unknown format, OpenTimelineIO missing)."""


def format_for(name: str) -> str:
    """The export format named by a format word or a file name's extension."""
    key = name.lower().rsplit(".", 1)[-1]
    if key not in FORMATS:
        raise ExportError(f"unknown export format {name!r} (use {', '.join(sorted(FORMATS))})")
    return key


def what_matched(w: Mapping[str, Any]) -> str:
    """The words of one `why` entry: the text that matched, what the shot shows, the tag, the person."""
    return w.get("text") or w.get("shows") or w.get("tag") or w.get("who") or ", ".join(w.get("names", [])) or ""


def _reason(why: list[dict[str, Any]]) -> str:
    for w in why:
        if what := what_matched(w):
            return f"{w.get('modality', '')}: {what}"
    return why[0].get("modality", "") if why else ""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """A name for a timeline or a clip: control characters (newlines above all) become spaces, so
    that no title, query or file name can add a line, an event or a comment to an EDL."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _fps(movie: Movie | None) -> float:
    fps = (movie.media or {}).get("fps") if movie is not None else None
    return float(fps) if isinstance(fps, int | float) and fps > 0 else DEFAULT_FPS


def timeline(answer: Mapping[str, Any], movies: Mapping[str, Movie], name: str):
    """An OpenTimelineIO timeline with one video track: a clip per result."""
    try:
        import opentimelineio as otio
    except ImportError as exc:   # pinned in pyproject; say how to get it rather than fail obscurely
        raise ExportError(f"OpenTimelineIO is not installed ({exc}); pip install opentimelineio==0.18.1 "
                          "otio-cmx3600-adapter==1.0.0") from None
    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    track = otio.schema.Track(name="selects", kind=otio.schema.TrackKind.Video)
    for rank, r in enumerate(answer.get("results", []), start=1):
        movie = movies.get(r["movie_id"])
        fps = _fps(movie)
        first = round(r["start"] * fps)
        frames = max(1, round(r["end"] * fps) - first)
        ref = otio.schema.MissingReference()
        if movie is not None:
            ref = otio.schema.ExternalReference(target_url=Path(movie.source).absolute().as_uri(),
                                                available_range=tr(rt(0, fps), rt(round(movie.duration * fps), fps)))
        clip = otio.schema.Clip(name=one_line(f"{rank:02d} {r.get('title') or r['movie_id']}"), media_reference=ref,
                                source_range=tr(rt(first, fps), rt(frames, fps)))
        clip.metadata["cinesearch"] = {"movie_id": r["movie_id"], "shots": r.get("shots"), "score": r.get("score"),
                                       "why": _reason(r.get("why", []))}
        track.append(clip)
    out = otio.schema.Timeline(name=one_line(name))
    out.tracks.append(track)
    return out


def export(answer: Mapping[str, Any], movies: Mapping[str, Movie], fmt: str, name: str | None = None) -> str:
    """The results of a search answer as text in `fmt` (edl | otio | csv); the timeline is named
    after the query unless `name` is given."""
    spec = FORMATS[format_for(fmt)]
    if spec.adapter is None:
        return _csv(answer, movies)
    import opentimelineio as otio  # timeline() has checked it imports

    built = timeline(answer, movies, name or title_of(answer))
    options: dict[str, Any] = {}
    if spec.adapter == "cmx_3600":   # an EDL has one rate: the one most results' movies have (ties: by rank)
        rates = Counter(_fps(movies.get(r["movie_id"])) for r in answer.get("results", []))
        options["rate"] = rates.most_common(1)[0][0] if rates else DEFAULT_FPS
    try:
        return otio.adapters.write_to_string(built, spec.adapter, **options)
    except otio.exceptions.OTIOError as exc:   # e.g. the CMX adapter plug-in missing
        raise ExportError(f"cannot write {fmt}: {exc}") from None


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula (subtitles and OCR come from the media)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(answer: Mapping[str, Any], movies: Mapping[str, Movie]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["rank", "movie_id", "title", "start", "end", "score", "first_shot", "last_shot", "video", "why"])
    for rank, r in enumerate(answer.get("results", []), start=1):
        movie = movies.get(r["movie_id"])
        shots = r.get("shots") or [None, None]
        w.writerow([rank, _cell(r["movie_id"]), _cell(r.get("title") or ""), f"{r['start']:.3f}", f"{r['end']:.3f}",
                    r.get("score"), shots[0], shots[-1], _cell(movie.source if movie else ""),
                    _cell(_reason(r.get("why", [])))])
    return buf.getvalue()


def title_of(answer: Mapping[str, Any]) -> str:
    """A timeline name saying what was searched."""
    q = answer.get("query") or {}
    if q.get("like"):
        like = q["like"]
        return f"cinesearch: like {like.get('movie_id')} shot {like.get('shot')}"
    words = q.get("text") or " ".join(f"tag:{t}" for t in q.get("tags") or []) or \
        " ".join(f"cast:{c}" for c in q.get("cast") or []) or "face photo"
    return f"cinesearch: {words}"[:120]
