"""Command-line paths to validated movies: discovery (`library_scan`) plus the importers, merged in
this order, each later one overriding the earlier:

    1. the file names       title and year from `Title (Year)`
    2. the NFO              movie.nfo or <video name>.nfo (Kodi/Jellyfin): plot, genres, tags, actors, ...
    3. the side files       subtitles named after the video, poster/fanart, .actors/ photos, trailers
    4. movie.json           wins over everything (and names files explicitly)

A side file that cannot be used (a malformed NFO, an actor photo that is not an image, a path that
leads outside the movie's folder) is skipped with one line in `spec.notes`; the rest of the movie
still indexes. With `strict=True` each such line is an error for the movie instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cinesearch.indexer.errors import InputError
from cinesearch.indexer.library_scan import FoundMovie, scan, single
from cinesearch.indexer.movie_spec import MovieSpec, _not_an_image, read_movie_json, slugify, validate
from cinesearch.indexer.nfo import NfoActor, parse_nfo
from cinesearch.indexer.subtitle_sources import find_sidecars

_TITLE_YEAR = re.compile(r"^(?P<title>.+?)[\s._-]*[(\[](?P<year>(?:18|19|20|21)\d{2})[)\]]")


def title_year(stem: str) -> tuple[str, int | None]:
    """`Big Buck Bunny (2008)` -> ("Big Buck Bunny", 2008); a name without a year is the title."""
    m = _TITLE_YEAR.match(stem)
    if m:
        return m.group("title").replace(".", " ").strip(), int(m.group("year"))
    return stem, None


def discover(paths: list[str | Path], extras: bool = False, strict: bool = False) -> list[MovieSpec | InputError]:
    """Resolve command-line paths to movies. Errors are returned in place, not raised, so one bad
    movie does not stop the others."""
    found: list[MovieSpec | InputError] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            found.append(InputError(str(raw), "no such file or directory"))
        elif not (path.is_file() or path.is_dir()):
            found.append(InputError(str(raw), "not a regular file or folder (a device, FIFO or socket)"))
        elif path.is_file():
            found.append(_try(single(path.absolute()), strict))
        else:
            items = _folder_movies(path.absolute(), extras)
            if not items:
                items = [InputError(str(path), "no video files or movie folders found")]
            found.extend(x if isinstance(x, InputError) else _try(x, strict) for x in items)
    return found


def _folder_movies(folder: Path, extras: bool) -> list[FoundMovie | InputError]:
    """A folder with a movie.json is one movie (its "video" field may pick among several files);
    any other folder is a library, walked for films."""
    meta_file = folder / "movie.json"
    if meta_file.is_file():
        try:
            video_name = read_movie_json(meta_file).get("video")
        except InputError as exc:
            return [exc]
        if isinstance(video_name, str):   # validated (inside the folder, a file) by `validate`
            return [FoundMovie(folder / video_name, folder, True, meta_json=meta_file)]
    return scan(folder, extras)


def _try(found: FoundMovie, strict: bool) -> MovieSpec | InputError:
    try:
        return load_found(found, strict)
    except InputError as exc:
        return exc


def load_found(found: FoundMovie, strict: bool = False) -> MovieSpec:
    folder = found.folder.resolve()
    notes: list[str] = []

    def skip(where: Path | str, message: str) -> None:
        if strict:
            raise InputError(str(where), message)
        notes.append(f"{where}: {message}")

    by_folder = found.own_folder and not found.named
    own_id = slugify(folder.name) if by_folder else slugify(found.stem)
    title, year = title_year(found.video.parent.name if by_folder else found.stem)
    meta: dict[str, Any] = {"title": title} | ({"year": year} if year else {})
    if found.extra_of is not None:
        parent = slugify(found.extra_of.folder.name) if found.extra_of.own_folder else slugify(found.extra_of.stem)
        own_id = slugify(f"{parent}-{found.stem}")
        meta = {"title": f"{found.extra_of.stem}: {found.stem}", "extra_of": parent,
                "extra_kind": "trailer" if "trailer" in found.video.as_posix().lower() else "extra"}

    nfo_actors: list[NfoActor] = []
    nfo_path = found.nfo if found.extra_of is None else None
    if nfo_path is not None:
        try:
            nfo = parse_nfo(nfo_path)
            meta |= nfo.meta
            nfo_actors = nfo.actors
        except InputError as exc:
            skip(exc.where, f"{exc.message}; its metadata is not used")
            nfo_path = None

    json_meta: dict[str, Any] = {}
    if found.meta_json is not None:
        json_meta = read_movie_json(found.meta_json)      # explicit: a bad movie.json is an error
    if "subtitles" not in json_meta:
        meta["subtitles"] = [_rel(p, folder) for p in find_sidecars(found.video)]
    if "cast" not in json_meta and nfo_actors:
        meta["cast"] = _cast(nfo_actors, found, folder, skip)
    if found.trailers:
        meta["trailers"] = [_rel(p, folder) for p in found.trailers]
    if found.extras:
        meta["extras"] = [_rel(p, folder) for p in found.extras]
    artwork: dict[str, Path] = {}
    for kind, image in (("poster", found.poster), ("fanart", found.fanart)):
        if image is None:
            continue
        if (why := _not_an_image(image)) is not None:
            skip(image, f"{why}; no {kind} shown")
        else:
            artwork[kind] = image.resolve()
            meta[kind] = image.name
    meta |= json_meta

    spec = validate(folder, found.meta_json, meta, video=found.video.absolute(), default_id=own_id)
    spec.nfo = nfo_path.resolve() if nfo_path is not None else None
    spec.artwork = artwork
    spec.notes = notes
    spec.found_subtitles = "subtitles" not in json_meta
    spec.strict = strict
    return spec


def _rel(path: Path, folder: Path) -> str:
    return path.resolve().relative_to(folder).as_posix() if path.resolve().is_relative_to(folder) else str(path)


def _cast(actors: list[NfoActor], found: FoundMovie, folder: Path, skip) -> list[dict[str, Any]]:
    """The NFO's actors as movie.json cast entries. The character is the role (the name users
    search for), else the actor. The portrait is the NFO thumb when it is a local file inside the
    movie's folder, else `.actors/First_Last.jpg`; one that cannot be used is skipped (the actor
    is then found by name only)."""
    out: list[dict[str, Any]] = []
    for actor in actors:
        entry: dict[str, Any] = {"character": actor.role or actor.name, "actor": actor.name}
        portrait = _local_thumb(actor.thumb, folder, found, skip) or _actor_photo(found.actors_dir, actor.name)
        if portrait is not None:
            if (why := _not_an_image(portrait)) is not None:
                skip(portrait, f"{why}; {entry['character']} is found by name only")
            else:
                entry["portrait"] = _rel(portrait, folder)
        out.append(entry)
    return out


def _local_thumb(thumb: str | None, folder: Path, found: FoundMovie, skip) -> Path | None:
    if not thumb or re.match(r"^[a-z][a-z0-9+.-]*://", thumb, re.IGNORECASE):
        return None          # a URL: never fetched (the indexer works offline)
    path = Path(thumb)
    path = (path if path.is_absolute() else (found.nfo.parent if found.nfo else folder) / path).resolve()
    if not path.is_relative_to(folder):
        skip(found.nfo or folder, f"actor thumb {thumb!r} leads outside the movie's folder; refused")
        return None
    if not path.is_file():
        skip(found.nfo or folder, f"actor thumb {thumb!r} not found")
        return None
    return path


def _actor_photo(actors_dir: Path | None, name: str) -> Path | None:
    """Kodi's `.actors/First_Last.jpg` (also with spaces)."""
    if actors_dir is None:
        return None
    for base in (name.replace(" ", "_"), name):
        for ext in (".jpg", ".jpeg", ".png", ".webp"):
            p = actors_dir / f"{base}{ext}"
            if p.is_file():
                return p
    return None
