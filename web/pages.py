"""The pages: search (text, tags, cast, a face photo), results with thumbnails and a player that
starts at the clip, and a movie page with its timeline and cast. Rendered on the server by Jinja
(autoescaped); a small script adds the player and drag-and-drop, and the page works without it.
Media routes serve only files of the library (and the indexed videos and portraits), by range."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, render_template, request, send_file, url_for
from markupsafe import Markup, escape

from cinesearch.errors import UserError, http_status
from cinesearch.search.requests import search_query
from cinesearch.web.api import face_from_upload, run_search, run_similar, search_args, similar_args
from cinesearch.web.library import library

pages = Blueprint("pages", __name__)


MAX_FILTER_MOVIES = 500    # films listed in the page's filter (the rest: movie:ID in the query)
MAX_SUGGESTIONS = 2_000    # tags and cast names offered for completion


def _suggestions() -> dict:
    from cinesearch.search.tags import movie_tags

    movies = library().store.list_movies()
    tags = sorted({t for m in movies for t in movie_tags(m)})
    cast = sorted({c.get("character") for m in movies for c in (m.meta.get("cast") or [])
                   if isinstance(c, dict) and c.get("character")})
    listed = sorted(movies, key=lambda m: (m.title or m.id).lower())[:MAX_FILTER_MOVIES]
    return {"movies": listed, "more_movies": len(movies) - len(listed), "known_tags": tags[:MAX_SUGGESTIONS],
            "known_cast": cast[:MAX_SUGGESTIONS]}


@pages.app_context_processor
def _query_box() -> dict:
    return {"shown_query": shown_query(request.args) if request else "", "modalities": MODALITIES}


@pages.app_template_filter("clock")
def clock(t: float) -> str:
    m, s = divmod(float(t), 60)
    return f"{int(m)}:{s:04.1f}"


@pages.app_template_filter("highlight")
def highlight(text: str, words: list[str]) -> Markup:
    """Mark the query's words in a text: the text is cut into words and the rest, each piece is
    escaped, and marks wrap whole escaped words, so nothing the user typed is rendered raw and a
    word such as `mark`, `lt` or `amp` never lands inside markup or an entity."""
    wanted = sorted({w.lower() for w in words if len(w) > 2}, key=len, reverse=True)
    out = []
    for piece in re.split(r"(\w+)", str(text)):
        if piece and any(piece.lower().startswith(w) for w in wanted):
            out.append(f"<mark>{escape(piece)}</mark>")
        else:
            out.append(str(escape(piece)))
    return Markup("".join(out))


@pages.app_template_filter("enumerate")
def _enumerate(items: list) -> list:
    return list(enumerate(items))


@pages.app_template_filter("media_url")
def _media_url(rel: str) -> str:
    return url_for("pages.media", rel=rel)


@pages.app_template_filter("groupby_film")
def groupby_film(items: list[tuple[int, dict]]) -> list[tuple[str, list[tuple[int, dict]]]]:
    """(position, result) pairs grouped by film, films in the order of their best result."""
    groups: dict[str, list[tuple[int, dict]]] = {}
    for i, r in items:
        groups.setdefault(r["movie_id"], []).append((i, r))
    return list(groups.items())


def _export_links(endpoint: str, **values) -> dict[str, str]:
    """Links that download the same answer as selects (EDL, OTIO, CSV) from the JSON API."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "format"}
    return {fmt: url_for(endpoint, **values, **args, format=fmt) for fmt in ("edl", "otio", "csv")}


def _cut(answer: dict, limit: int) -> bool:
    """Cut an answer that was asked for `limit` + 1 results back to `limit`; whether there were more."""
    more = len(answer["results"]) > limit
    answer["results"] = answer["results"][:limit]
    return more


def _more_link(endpoint: str, limit: int, **values) -> str | None:
    """The same page with 20 more results, up to 100."""
    if limit >= 100:
        return None
    args = request.args.to_dict(flat=False) | {"limit": [min(100, limit + 20)]}
    return url_for(endpoint, **values, **args)


PREVIEW_FRAMES = 6     # keyframes a card scrubs through on hover or focus
MODALITIES = {            # the result filter: evidence kinds a user can tell apart
    "subtitle": "subtitles", "transcript": "transcript", "ocr": "on-screen text", "description": "descriptions",
    "concepts": "visual labels", "visual": "picture (CLIP)", "tag": "tags", "face": "faces",
}


def _preview_frames(results: list[dict]) -> dict[int, list[str]]:
    """Per result (by position), the keyframes of its shots, for the hover preview."""
    keys = {}
    for i, r in enumerate(results):
        first, last = r["shots"]
        keys[i] = [(r["movie_id"], s) for s in range(first, min(last, first + PREVIEW_FRAMES - 1) + 1)]
    cards = library().store.describe_shots(sorted({k for ks in keys.values() for k in ks}))
    out: dict[int, list[str]] = {}
    for i, ks in keys.items():
        frames = [kf.path for k in ks if k in cards for kf in cards[k][0].keyframes]
        step = max(1, len(frames) // PREVIEW_FRAMES)
        out[i] = frames[::step][:PREVIEW_FRAMES]
    return out


def _matches_modality(result: dict, modality: str) -> bool:
    return any(w.get("kind") == modality or w.get("modality") == modality
               or (modality == "face" and w.get("modality") == "link")
               or (modality == "concepts" and w.get("modality") == "bank") for w in result["why"])


def _render(answer: dict | None, error: str | None, status: int = 200, face_note: str | None = None,
            exports: dict[str, str] | None = None, more: str | None = None, shown: str | None = None):
    from cinesearch.search.query import keywords

    words = keywords(answer["query"]["text"]) if answer and answer["query"].get("text") else []
    frames = _preview_frames(answer["results"]) if answer else {}
    home = _home() if answer is None and error is None else None
    return render_template("search.html", answer=answer, error=error, words=words, face_note=face_note,
                           args=request.values, exports=exports if answer and answer["results"] else None,
                           more=more, frames=frames, home=home, modalities=MODALITIES,
                           group=request.values.get("group") == "film",
                           shown_query=shown if shown is not None else shown_query(request.values),
                           **_suggestions()), status


def _home() -> dict:
    """The library at a glance: a page of film cards, the facets, sorting and paging."""
    from cinesearch.search.overview import browse, facets, parse_browse

    b = parse_browse(request.args.to_dict())
    cards = library().overview.cards()
    shown, pages, total = browse(cards, b)
    here = {k: v for k, v in request.args.to_dict().items() if k in ("genre", "tag", "person", "text", "sort", "per")}

    def link(**change: object) -> str:
        return url_for("pages.index", **{k: v for k, v in (here | change).items() if v not in (None, "")})

    return {"cards": shown, "pages": pages, "page": min(b.page, pages), "total": total, "facets": facets(cards),
            "browse": b, "link": link, "text_labels": _text_labels()}


def _text_labels() -> dict[str, str]:
    from cinesearch.search.overview import TEXT_LABELS

    return TEXT_LABELS


def _filtered_query(args) -> tuple:
    """The query and limit, narrowed by the result filters: year and genre (as a movie filter)."""
    query, limit = search_args(args)
    year, genre = (args.get("year") or "").strip(), (args.get("genre") or "").strip()
    if year or genre:
        from cinesearch.search.overview import select

        films = {c.movie.id for c in select(library().overview.cards(), genre=genre or None)
                 if not year or str(c.movie.year) == year}
        wanted = set(query.movies) & films if query.movies else films
        query.movies = sorted(wanted) or ["\x00none"]   # nothing of the library passes the filters
    return query, limit


@pages.get("/")
def index():
    if not any(request.args.get(k) for k in ("q", "tags", "cast")):
        try:
            return _render(None, None)
        except UserError as exc:
            return _render(None, str(exc), http_status(exc))
    try:
        query, limit = _filtered_query(request.args)
    except UserError as exc:
        return _render(None, str(exc), http_status(exc))
    modality = request.args.get("kind") or ""
    answer = run_search(query, min(100, 3 * limit) + 1 if modality else limit + 1)
    if modality:
        answer["results"] = [r for r in answer["results"] if _matches_modality(r, modality)]
        answer["relevance"]["strong"] = sum(1 for r in answer["results"] if r.get("strong"))
    more = _more_link("pages.index", limit) if _cut(answer, limit) else None
    return _render(answer, None, exports=_export_links("api.search"), more=more)


@pages.post("/face")
def face():
    try:
        vector, note = face_from_upload()
        query, limit = search_args(request.form)
    except UserError as exc:
        return _render(None, str(exc), http_status(exc))
    photo = request.files.get("photo")
    shown = f"face: {Path(photo.filename).name}" if photo is not None and photo.filename else "face photo"
    return _render(run_search(query, limit, face=vector), None, face_note=note, shown=shown)


@pages.get("/similar/<movie_id>/<int:shot>")
def similar(movie_id: str, shot: int):
    """More like this: the shots that look like one shot, as a results page."""
    try:
        limit, movies = similar_args(request.args)
        answer = run_similar(movie_id, shot, limit + 1, movies)
    except UserError as exc:
        return _render(None, str(exc), http_status(exc))
    more = _more_link("pages.similar", limit, movie_id=movie_id, shot=shot) if _cut(answer, limit) else None
    return _render(answer, None, exports=_export_links("api.similar", movie_id=movie_id, shot=shot), more=more)


@pages.get("/movie/<movie_id>")
def movie(movie_id: str):
    store = library().store
    m = store.get_movie(movie_id)
    if m is None:
        abort(404)
    shots = store.get_shots(movie_id)
    scenes = store.get_scenes(movie_id)
    characters = store.get_characters(movie_id)
    lines = [t for t in store.get_texts(movie_id) if t.kind in PANEL_KINDS and t.start is not None]
    lines.sort(key=lambda t: (t.start or 0.0, PANEL_KINDS.index(t.kind)))
    start = start_time(request.args.get("t"), m.duration)
    hits, error, words = [], None, []
    if (request.args.get("q") or "").strip():
        from cinesearch.search.query import keywords

        try:
            query = search_query(store, request.args["q"], movies=[movie_id])
            hits = library().engine.search(query, limit=MAX_FILM_HITS)["results"]
            words = keywords(query.text)
        except UserError as exc:
            error = str(exc)
    at = start if start is not None else m.duration / 2
    still = next((s.keyframes[len(s.keyframes) // 2].path for s in shots if s.start <= at < s.end and s.keyframes),
                 None)
    hit_shots = {i for h in hits if h.get("strong") for i in range(h["shots"][0], h["shots"][1] + 1)}
    return render_template("movie.html", movie=m, shots=shots, scenes=scenes, characters=characters,
                           start=start, lines=lines[:MAX_PANEL_LINES], more_lines=max(0, len(lines) - MAX_PANEL_LINES),
                           hits=hits, hit_shots=hit_shots, error=error, words=words, still=still,
                           **_suggestions())


PANEL_KINDS = ("subtitle", "transcript", "description")   # the time-aligned panel under the player
MAX_PANEL_LINES = 5_000
MAX_FILM_HITS = 30


def start_time(raw: str | None, duration: float) -> float | None:
    """`?t=12.5` (seconds; also `1:02.5`): where the movie page's player starts; None when absent,
    unreadable or outside the film."""
    if not raw or len(raw) > 20:
        return None
    try:
        parts = [float(p) for p in raw.split(":")]
    except ValueError:
        return None
    if len(parts) > 3 or any(p != p or p < 0 for p in parts):   # NaN or negative
        return None
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds if seconds <= max(duration, 0.0) else None


def shown_query(args) -> str:
    """What the query box shows: the typed text, or the tag and cast a link searched for."""
    if args.get("q"):
        return str(args.get("q"))
    parts = [f'tag:"{t}"' if " " in t else f"tag:{t}" for t in args.getlist("tags") if t]
    parts += [f'cast:"{c}"' if " " in c else f"cast:{c}" for c in args.getlist("cast") if c]
    return " ".join(parts)


def _inside(root: Path, rel: str) -> Path:
    """A file under root named by a relative path from a URL; 404 for anything else (`..`, an
    absolute path, a link out of the folder, a missing file)."""
    if not rel or rel.startswith(("/", "\\")) or "\\" in rel or any(p in ("..", "") for p in rel.split("/")):
        abort(404)
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        abort(404)
    return path


@pages.get("/media/<path:rel>")
def media(rel: str):
    lib = library()
    if not rel.startswith("thumbs/"):
        abort(404)
    return send_file(_inside(lib.root, rel), conditional=True, max_age=3600)


def safe_name(name: str) -> str:
    """A file name fit for Content-Disposition: no control characters (a newline would end the
    header), quotes or backslashes; Werkzeug adds the RFC 5987 UTF-8 form for the rest."""
    return re.sub(r'[\x00-\x1f\x7f"\\]', "_", name) or "video"


@pages.get("/video/<movie_id>")
def video(movie_id: str):
    """The indexed video file, with HTTP range requests (206) so the player can seek."""
    m = library().store.get_movie(movie_id)
    if m is None or not Path(m.source).is_file():
        abort(404)
    return send_file(m.source, conditional=True, max_age=0, download_name=safe_name(Path(m.source).name))


ARTWORK = ("poster", "fanart")


@pages.get("/artwork/<movie_id>/<kind>")
def artwork(movie_id: str, kind: str):
    """The movie's poster or fanart, as copied beside its keyframes at index time."""
    m = library().store.get_movie(movie_id)
    name = m.meta.get(kind) if m is not None and kind in ARTWORK else None
    if m is None or not m.thumbs_dir or not isinstance(name, str) or not re.fullmatch(rf"{kind}\.[a-z]{{2,4}}", name):
        abort(404)
    return send_file(_inside(library().root, f"{m.thumbs_dir}/{name}"), conditional=True, max_age=3600)


@pages.get("/portrait/<movie_id>/<int:index>")
def portrait(movie_id: str, index: int):
    m = library().store.get_movie(movie_id)
    if m is None:
        abort(404)
    if not 0 <= index < 1000 or not m.thumbs_dir:
        abort(404)
    # the copy made at index time, in the movie's committed thumbnail folder (see indexer.pipeline)
    copies = sorted((library().root / m.thumbs_dir).glob(f"portrait-{index:03d}.*"))
    if not copies:
        abort(404)
    return send_file(_inside(library().root, f"{m.thumbs_dir}/{copies[0].name}"), conditional=True, max_age=3600)
