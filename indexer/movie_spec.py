"""What a movie is: its video and the validated fields of movie.json (or of the NFO and side
files `library_import` found, merged under movie.json).

Validation happens here, before anything touches the library, so a bad field fails fast with a
message that names the file and the field.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cinesearch.indexer.errors import InputError

VIDEO_EXTENSIONS = frozenset({
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".m1v", ".m2v", ".vob", ".ts",
    ".m2ts", ".mts", ".wmv", ".asf", ".flv", ".f4v", ".3gp", ".3g2", ".ogv", ".ogg", ".rm", ".rmvb",
    ".dv", ".mxf", ".y4m", ".gif", ".swf",
})
_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$")


_AD_NAME = re.compile(r"(^|[._-])(ad|audio[._-]?description|description)([._-]|$)", re.IGNORECASE)


def slugify(name: str) -> str:
    """The default movie id: lower case, every run of characters other than a-z0-9 becomes '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "movie"


@dataclass
class CastMember:
    character: str
    actor: str | None = None
    portrait: Path | None = None


@dataclass
class MovieSpec:
    """A validated movie, ready to index. `meta` keeps every movie.json field, unknown ones too."""

    id: str
    video: Path
    folder: Path | None = None
    meta_file: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    year: int | None = None
    subtitles: list[Path] = field(default_factory=list)
    descriptions: list[Path] = field(default_factory=list)   # audio-description tracks (.srt/.vtt)
    script: Path | None = None
    cast: list[CastMember] = field(default_factory=list)
    nfo: Path | None = None                                    # read into `meta` (movie.json wins)
    artwork: dict[str, Path] = field(default_factory=dict)     # poster, fanart: shown by the web page
    notes: list[str] = field(default_factory=list)             # what was skipped, and why (one line each)
    found_subtitles: bool = False     # the subtitles were found beside the video (not named by movie.json)
    strict: bool = False              # a side file that cannot be used fails the movie instead of a skip

    def side_files(self) -> list[Path]:
        """Every file besides the video whose content defines the movie (for the fingerprint)."""
        files = [p for p in (self.meta_file, self.script, self.nfo) if p is not None]
        files += self.subtitles + self.descriptions + [self.artwork[k] for k in sorted(self.artwork)]
        files += [c.portrait for c in self.cast if c.portrait is not None]
        return files


def is_video_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS


def load_video_file(path: Path) -> MovieSpec:
    """A bare video file: the id is the slug of its name without the extension."""
    path = path.absolute()  # not resolve(): a symlink's own name is the name the user chose
    if not path.is_file():
        raise InputError(str(path), "no such file")
    return MovieSpec(id=slugify(path.stem), video=path)


def load_folder(folder: Path) -> MovieSpec:
    """A folder with a movie.json (or one video): movie.json's fields only (no NFO, no side files;
    `library_import.load_found` adds those)."""
    folder = folder.resolve()
    meta_file = folder / "movie.json"
    if not meta_file.exists():
        return validate(folder, None, {})
    return validate(folder, meta_file, read_movie_json(meta_file))


def read_movie_json(meta_file: Path) -> dict[str, Any]:
    """movie.json as a dict; InputError naming the file (and line) when it is not a JSON object."""
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(meta_file), f"cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{meta_file}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}") from exc
    except RecursionError:
        raise InputError(str(meta_file), "invalid JSON: nested too deeply") from None
    if not isinstance(meta, dict):
        raise InputError(str(meta_file), "must hold a JSON object")
    return meta


def validate(folder: Path, meta_file: Path | None, meta: dict[str, Any], video: Path | None = None,
             default_id: str | None = None) -> MovieSpec:
    """A MovieSpec from movie.json fields. `video` is the film when discovery already knows it
    (the field "video" still wins); `default_id` the id when none is given (else the folder's)."""
    where = str(meta_file or folder)
    v = _Validator(where, folder)

    movie_id = v.opt_str(meta, "id")
    if movie_id is not None and not _ID_RE.match(movie_id):
        v.fail("id", f"must be lower-case letters, digits and '-' (got {movie_id!r})")
    title = v.opt_str(meta, "title")
    year = v.opt_int(meta, "year", 1870, 2200)
    release = v.opt_str(meta, "release_date")
    if release is not None:
        try:
            _dt.date.fromisoformat(release)
        except ValueError:
            v.fail("release_date", f"must be a date like 1997-11-18 (got {release!r})")
    v.opt_str_list(meta, "genres")
    v.opt_str_list(meta, "keywords")
    rating = meta.get("rating")
    bad_rating = isinstance(rating, bool) or not isinstance(rating, int | float) or not 0 <= rating <= 10
    if rating is not None and bad_rating:
        v.fail("rating", f"must be a number from 0 to 10 (got {rating!r})")
    v.opt_str(meta, "plot")
    synopsis = meta.get("synopsis")
    if synopsis is not None and not isinstance(synopsis, str):
        v.opt_str_list(meta, "synopsis")

    if "video" in meta:
        video = v.file(v.opt_str(meta, "video"), "video")
    elif video is not None:
        pass
    else:
        videos = sorted(p for p in folder.iterdir() if is_video_file(p))
        if not videos:
            raise InputError(where, "no video file in the folder (name one in the field \"video\")")
        if len(videos) > 1:
            names = ", ".join(p.name for p in videos[:4])
            raise InputError(where, f"several videos ({names}); name one in the field \"video\"")
        video = videos[0]

    subs_raw = meta.get("subtitles")
    if isinstance(subs_raw, str):
        subs_raw = [subs_raw]
        meta = {**meta, "subtitles": subs_raw}
    subtitles = [v.file(s, f"subtitles[{i}]") for i, s in enumerate(v.opt_str_list(meta, "subtitles") or [])]
    ad_raw = meta.get("audio_description")
    if isinstance(ad_raw, str):
        meta = {**meta, "audio_description": [ad_raw]}
    descriptions = [v.file(s, f"audio_description[{i}]")
                    for i, s in enumerate(v.opt_str_list(meta, "audio_description") or [])]
    # a subtitles entry named like an audio-description track (movie.ad.srt, movie.description.vtt) is one
    descriptions += [p for p in subtitles if _AD_NAME.search(p.name) and p not in descriptions]
    subtitles = [p for p in subtitles if p not in descriptions]
    script_name = v.opt_str(meta, "script")
    script = v.file(script_name, "script") if script_name is not None else None

    cast: list[CastMember] = []
    cast_raw = meta.get("cast")
    if cast_raw is not None:
        if not isinstance(cast_raw, list):
            v.fail("cast", "must be a list of {character, actor, portrait}")
        for i, entry in enumerate(cast_raw):
            if not isinstance(entry, dict):
                v.fail(f"cast[{i}]", "must be an object")
            character = entry.get("character")
            if not isinstance(character, str) or not character.strip():
                v.fail(f"cast[{i}].character", "must be a non-empty string")
            actor = entry.get("actor")
            if actor is not None and not isinstance(actor, str):
                v.fail(f"cast[{i}].actor", "must be a string")
            portrait = entry.get("portrait")
            portrait_path = v.file(portrait, f"cast[{i}].portrait") if portrait is not None else None
            if portrait_path is not None and (why := _not_an_image(portrait_path)):
                v.fail(f"cast[{i}].portrait", why)   # found now, not after the whole video was decoded
            cast.append(CastMember(character=character.strip(), actor=actor, portrait=portrait_path))

    return MovieSpec(
        id=movie_id or default_id or slugify(folder.name), video=video, folder=folder, meta_file=meta_file, meta=meta,
        title=title, year=year, subtitles=subtitles, descriptions=descriptions, script=script, cast=cast,
    )


MAX_PORTRAIT_PIXELS = 40_000_000


def _not_an_image(path: Path) -> str | None:
    """Why a portrait cannot be used (read from its header only), or None."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PORTRAIT_PIXELS:
                return f"{path.name} is {im.width}x{im.height}; at most {MAX_PORTRAIT_PIXELS:,} pixels"
            im.verify()
    except Image.DecompressionBombError:
        return f"{path.name} is too large an image"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return f"{path.name} is not an image (JPEG, PNG, WebP, ...)"
    return None


MAX_TEXT_CHARS = 200_000                                    # plot, synopsis: a long paragraph or a few
MAX_FIELD_CHARS = {"id": 200, "title": 1_000, "release_date": 40, "video": 4_096, "script": 4_096}


class _Validator:
    def __init__(self, where: str, folder: Path):
        self.where = where
        self.folder = folder

    def fail(self, field_name: str, message: str):
        raise InputError(f"{self.where}: field \"{field_name}\"", message)

    def opt_str(self, meta: dict[str, Any], key: str) -> str | None:
        value = meta.get(key)
        if value is not None and not isinstance(value, str):
            self.fail(key, f"must be a string (got {type(value).__name__})")
        limit = MAX_FIELD_CHARS.get(key, MAX_TEXT_CHARS)
        if value is not None and len(value) > limit:
            self.fail(key, f"is {len(value):,} characters long; at most {limit:,}")
        return value

    def opt_int(self, meta: dict[str, Any], key: str, lo: int, hi: int) -> int | None:
        value = meta.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.fail(key, f"must be an integer from {lo} to {hi} (got {value!r})")
        return value

    def opt_str_list(self, meta: dict[str, Any], key: str) -> list[str] | None:
        value = meta.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.fail(key, "must be a list of strings")
        return value

    def file(self, name: str | None, key: str) -> Path:
        if not isinstance(name, str) or not name:
            self.fail(key, "must be a file name")
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder):
            # movie.json may come from someone else: it never makes a file outside its folder
            # (/etc/passwd, ../.., a symlink out) indexed, searchable or served
            self.fail(key, f"must name a file inside the movie's folder ({name!r} leads outside it)")
        if not path.is_file():
            self.fail(key, f"file not found: {name}")
        return path
