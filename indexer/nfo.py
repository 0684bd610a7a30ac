"""Kodi/Jellyfin `movie.nfo` (or `<video name>.nfo`) to the fields of movie.json.

The NFO may come from anyone (a scraper, a download), so it is parsed with defusedxml: entity
declarations (billion laughs), external entities and DTD fetches are refused, and the file's size
is capped. Only local, relative paths are taken from it, and `nfo_actors` refuses any that lead
outside the movie's folder.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cinesearch.indexer.errors import InputError
from cinesearch.indexer.side_file import read_capped

MAX_NFO_BYTES = 5 * 1024 * 1024
MAX_ACTORS = 500
_ROOTS = ("movie", "episodedetails", "musicvideo")


@dataclass
class NfoActor:
    name: str
    role: str | None = None
    thumb: str | None = None      # as written: a URL, or a local path
    order: int | None = None


@dataclass
class Nfo:
    """The NFO's facts as movie.json fields, and its actors."""
    meta: dict[str, Any] = field(default_factory=dict)
    actors: list[NfoActor] = field(default_factory=list)


def parse_nfo(path: Path) -> Nfo:
    """Read one NFO. Raises InputError naming the file when it is unreadable, not XML, holds entity
    declarations or external references, or is not a movie NFO."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    where = str(path)
    data = read_capped(path, MAX_NFO_BYTES, "an NFO")
    # Kodi allows a scraper URL after the XML (or instead of it): keep the XML part only
    end = data.rfind(b">")
    xml = data[:end + 1] if end >= 0 else data
    try:
        root = SafeET.fromstring(xml, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(where, f"refused: the NFO declares entities or external references ({type(exc).__name__})"
                         ) from exc
    except ParseError as exc:
        raise InputError(where, f"malformed NFO (not XML: {exc})") from exc
    if root.tag.lower() not in _ROOTS:
        raise InputError(where, f"not a movie NFO (its root element is <{root.tag}>, expected <movie>)")
    return Nfo(_meta(root), _actors(root))


def _text(root: Any, tag: str) -> str | None:
    el = root.find(tag)
    if el is None or el.text is None:
        return None
    text = " ".join(el.text.split())
    return text or None


def _texts(root: Any, tag: str) -> list[str]:
    out: list[str] = []
    for el in root.findall(tag):
        for part in re.split(r"\s*/\s*", (el.text or "").strip()):   # old Kodi writes "Drama / Crime"
            if part and part not in out:
                out.append(part)
    return out


def _meta(root: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for tag, key in (("title", "title"), ("originaltitle", "original_title"), ("sorttitle", "sort_title"),
                     ("plot", "plot"), ("outline", "outline"), ("tagline", "tagline"), ("mpaa", "certification")):
        if (value := _text(root, tag)) is not None:
            meta[key] = value
    if meta.get("original_title") == meta.get("title"):
        meta.pop("original_title", None)
    for tag, key in (("genre", "genres"), ("tag", "tags"), ("studio", "studios"), ("director", "directors"),
                     ("credits", "writers"), ("country", "countries")):
        if values := _texts(root, tag):
            meta[key] = values
    year = _text(root, "year")
    if year and year.isdigit() and 1870 <= int(year) <= 2200:
        meta["year"] = int(year)
    premiered = _text(root, "premiered") or _text(root, "releasedate") or _text(root, "aired")
    if premiered:
        with contextlib.suppress(ValueError):
            meta["release_date"] = _dt.date.fromisoformat(premiered[:10]).isoformat()
        if "year" not in meta and premiered[:4].isdigit():
            meta["year"] = int(premiered[:4])
    if (rating := _rating(root)) is not None:
        meta["rating"] = rating
    runtime = _text(root, "runtime")
    if runtime and (m := re.match(r"\d+", runtime)):
        meta["runtime_minutes"] = int(m.group())
    if ids := _ids(root):
        meta["ids"] = ids
    if (collection := root.find("set")) is not None:
        name = _text(collection, "name") or " ".join((collection.text or "").split())
        if name:
            meta["collection"] = name
    return meta


def _rating(root: Any) -> float | None:
    """The default rating on a 0-10 scale: <ratings><rating default="true" max="10"><value>, else
    the first of them, else the old single <rating>."""
    candidates = root.findall("ratings/rating")
    chosen = next((r for r in candidates if (r.get("default") or "").lower() == "true"), None)
    chosen = chosen if chosen is not None else (candidates[0] if candidates else None)
    try:
        if chosen is not None:
            value, top = float(_text(chosen, "value") or "nan"), float(chosen.get("max") or 10)
        else:
            value, top = float(_text(root, "rating") or "nan"), 10.0
    except ValueError:
        return None
    if value != value or top <= 0:   # NaN: no rating given
        return None
    score = round(value * 10.0 / top, 2)
    return score if 0 <= score <= 10 else None


def _ids(root: Any) -> dict[str, str]:
    ids: dict[str, str] = {}
    for el in root.findall("uniqueid"):
        kind, value = (el.get("type") or "").strip().lower(), (el.text or "").strip()
        if kind and value:
            ids.setdefault(kind, value)
    for tag, kind in (("imdbid", "imdb"), ("tmdbid", "tmdb")):
        if value := _text(root, tag):
            ids.setdefault(kind, value)
    plain = _text(root, "id")
    if plain:
        ids.setdefault("imdb" if plain.startswith("tt") else "id", plain)
    return ids


def _actors(root: Any) -> list[NfoActor]:
    out: list[NfoActor] = []
    for el in root.findall("actor")[:MAX_ACTORS]:
        name = _text(el, "name")
        if not name:
            continue
        order = _text(el, "order")
        out.append(NfoActor(name, _text(el, "role"), _text(el, "thumb"),
                            int(order) if order and order.isdigit() else None))
    out.sort(key=lambda a: (a.order is None, a.order or 0))
    return out
