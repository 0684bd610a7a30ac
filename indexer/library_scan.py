"""Find the movies of a library kept the way Kodi, Jellyfin, Plex and Emby expect it, and the
files that belong to each: its NFO, subtitles, poster and fanart, actor photos and trailers.

Layouts (both may mix in one tree, at any depth):
- one folder per film: `Movies/Title (Year)/Title (Year).mkv` with `movie.nfo`, `poster.jpg`,
  `.actors/`, `trailers/` and other side files in that folder;
- several films loose in one folder, each matched to its side files by name stem
  (`Title (Year).nfo`, `Title (Year).en.srt`, `Title (Year)-poster.jpg`, `Title (Year)-trailer.mp4`).

Extras (folders such as `trailers/`, `extras/`, `behind the scenes/`; names ending `-trailer`,
`-sample`, ...) are not films: a trailer is linked to its film, and `extras=True` indexes them too.
A film in parts (`cd1`/`cd2`, `part1`/`part2`) is refused with the names of its files.

Walking only: nothing here reads a file's content (see `library_import`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cinesearch.indexer.errors import InputError
from cinesearch.indexer.movie_spec import is_video_file

EXTRA_FOLDERS = frozenset({
    "trailers", "trailer", "extras", "extra", "featurettes", "featurette", "behind the scenes", "deleted scenes",
    "interviews", "scenes", "shorts", "samples", "sample", "other", "others", "clips", "specials", "theme-music",
    "backdrops", "bonus", "making of",
})
EXTRA_SUFFIXES = ("-trailer", ".trailer", "_trailer", "-sample", ".sample", "_sample", "-featurette",
                  "-behindthescenes", "-deleted", "-deletedscene", "-interview", "-scene", "-short", "-extra", "-clip",
                  "-other")
TRAILER_WORDS = ("trailer",)
POSTER_NAMES = ("poster", "folder", "cover", "default", "movie")
FANART_NAMES = ("fanart", "backdrop", "background", "art")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
_PART = re.compile(r"^(?P<title>.*?)[ _.\-]*(?:cd|dvd|part|pt|dis[ck])[ _.\-]*(?P<n>[0-9]{1,2})$", re.IGNORECASE)
MAX_DEPTH = 12


@dataclass
class FoundMovie:
    """One film and the side files that belong to it (paths only)."""
    video: Path
    folder: Path                       # the folder its side files are in
    own_folder: bool                   # one film per folder: folder-wide names apply (movie.nfo, poster.jpg)
    nfo: Path | None = None
    meta_json: Path | None = None      # movie.json, which overrides everything else
    poster: Path | None = None
    fanart: Path | None = None
    actors_dir: Path | None = None
    trailers: list[Path] = field(default_factory=list)
    extras: list[Path] = field(default_factory=list)     # every extra linked to it, trailers too
    extra_of: FoundMovie | None = None                   # set on an extra indexed as its own movie
    named: bool = False                # the video itself was named on the command line: its name is its id

    @property
    def stem(self) -> str:
        return self.video.stem


def is_extra_name(path: Path) -> bool:
    stem = path.stem.lower()
    return stem.endswith(EXTRA_SUFFIXES) or stem in ("trailer", "sample")


def is_trailer(path: Path) -> bool:
    return any(w in path.stem.lower() for w in TRAILER_WORDS) or \
        any(p.name.lower() in ("trailers", "trailer") for p in path.parents)


def extra_base(path: Path) -> str:
    """`Film (2004)-trailer` -> `film (2004)`: the film an extra's name points to."""
    stem = path.stem.lower()
    for suffix in EXTRA_SUFFIXES:
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def part_groups(videos: list[Path]) -> dict[str, list[Path]]:
    """Videos that are parts of one film (`Film cd1`, `Film cd2`), by the film's title; only titles
    with two or more parts."""
    groups: dict[str, list[Path]] = {}
    for v in videos:
        m = _PART.match(v.stem)
        if m:
            groups.setdefault(m.group("title").strip(" ._-").lower(), []).append(v)
    return {k: sorted(g) for k, g in groups.items() if len(g) > 1}


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return []


def _image(folder: Path, names: tuple[str, ...], stems: tuple[str, ...] = ()) -> Path | None:
    """The first existing image among `<name>.<ext>` and `<stem>-<name>.<ext>`."""
    candidates = [f"{stem}-{name}" for stem in stems for name in names] + list(names if not stems else ())
    by_lower = {p.name.lower(): p for p in _entries(folder) if p.is_file()}
    for base in candidates:
        for ext in IMAGE_EXTENSIONS:
            hit = by_lower.get(f"{base}{ext}".lower())
            if hit is not None:
                return hit
    return None


def _videos_under(folder: Path, depth: int = 0) -> list[Path]:
    out = []
    for p in _entries(folder):
        if p.is_dir() and depth < 3:
            out += _videos_under(p, depth + 1)
        elif is_video_file(p):
            out.append(p)
    return out


def scan(root: Path, extras: bool = False) -> list[FoundMovie | InputError]:
    """Every film under `root`, in path order, with errors in place (a refused multi-part film)."""
    found: list[FoundMovie | InputError] = []
    _scan_folder(root, found, extras, 0)
    return found


def _scan_folder(folder: Path, found: list[FoundMovie | InputError], extras: bool, depth: int) -> None:
    entries = _entries(folder)
    videos = [p for p in entries if is_video_file(p)]
    extra_files = [p for p in videos if is_extra_name(p)]
    main = [p for p in videos if p not in extra_files]
    extra_dirs = [p for p in entries if p.is_dir() and p.name.lower() in EXTRA_FOLDERS]
    sub_dirs = [p for p in entries if p.is_dir() and p not in extra_dirs]

    for parts in part_groups(main).values():
        names = ", ".join(p.name for p in parts)
        found.append(InputError(str(folder), f"a film in {len(parts)} parts ({names}); cinesearch indexes one file "
                                             "per film: join the parts into one file (for example with ffmpeg's "
                                             "concat demuxer) or keep only one"))
        main = [p for p in main if p not in parts]

    # one film per folder: a single film whose folder holds no other films below it (a library
    # root with one loose film beside the folders of others is not that film's folder)
    names = {p.name.lower() for p in entries}
    own = len(main) == 1 and ("movie.nfo" in names or "movie.json" in names
                              or not any(_videos_under(d) for d in sub_dirs))
    movies: list[FoundMovie] = []
    for video in main:
        movies.append(_found(folder, video, own, entries))
    # extras: a name ending -trailer goes to the film of that stem; in a film's own folder every
    # extra (beside it or in an extras folder) is that film's
    by_stem = {m.stem.lower(): m for m in movies}
    loose_extras = list(extra_files)
    for d in extra_dirs:
        loose_extras += _videos_under(d)
    for extra in loose_extras:
        owner = by_stem.get(extra_base(extra)) or (movies[0] if own else None)
        if owner is not None:
            owner.extras.append(extra)
            if is_trailer(extra):
                owner.trailers.append(extra)
    found.extend(movies)
    if extras:
        for movie in movies:
            for extra in movie.extras:
                found.append(FoundMovie(extra, extra.parent, False, extra_of=movie))
    if depth < MAX_DEPTH:
        for d in sub_dirs:
            _scan_folder(d, found, extras, depth + 1)


def _found(folder: Path, video: Path, own: bool, entries: list[Path]) -> FoundMovie:
    stem = video.stem
    files = {p.name.lower(): p for p in entries if p.is_file()}
    nfo = files.get(f"{stem}.nfo".lower()) or (files.get("movie.nfo") if own else None)
    meta_json = files.get("movie.json") if own else None
    stems = (stem,)
    poster = _image(folder, POSTER_NAMES[:1], stems) or (_image(folder, POSTER_NAMES) if own else None)
    fanart = _image(folder, FANART_NAMES[:1], stems) or (_image(folder, FANART_NAMES) if own else None)
    actors = folder / ".actors"
    return FoundMovie(video=video, folder=folder, own_folder=own, nfo=nfo, meta_json=meta_json, poster=poster,
                      fanart=fanart, actors_dir=actors if actors.is_dir() else None)


def single(video: Path) -> FoundMovie:
    """A video named on the command line: its side files are those named after it, and the
    folder-wide ones too when it is the only film in its folder."""
    folder = video.parent
    entries = _entries(folder)
    main = [p for p in entries if is_video_file(p) and not is_extra_name(p)]
    own = main == [video] or (len(main) == 1 and main[0].name == video.name)
    movie = _found(folder, video, own, entries)
    movie.named = True
    for extra in (p for p in entries if is_video_file(p) and is_extra_name(p)):
        if extra_base(extra) == video.stem.lower() or own:
            movie.extras.append(extra)
            if is_trailer(extra):
                movie.trailers.append(extra)
    return movie
