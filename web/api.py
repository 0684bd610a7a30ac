"""The JSON API, mirroring the CLI under /api. Errors are JSON with the proper status: 400 for a
bad query or photo, 404 for an unknown movie, 413 for an upload over the cap, 503 when there is no
library (cinesearch.errors maps every error once). GET never changes anything. Arguments are
checked by cinesearch.search.requests, the same checks the CLI makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import MultiDict

from cinesearch.errors import NotFound, UserError
from cinesearch.search.query import Query
from cinesearch.search.requests import check_limit, check_movies, search_query
from cinesearch.search.store import Movie
from cinesearch.web.library import library

api = Blueprint("api", __name__)


def search_args(args: MultiDict[str, str]) -> tuple[Query, int]:
    """The query and limit from request arguments (shared with the pages)."""
    limit = check_limit(args.get("limit", 20))
    query = search_query(library().store, args.get("q", ""), tags=[args.get("tags", "")],
                         cast=[args.get("cast", "")], movies=args.getlist("movie"),
                         allow_empty=request.method == "POST")
    return query, limit


def run_search(query: Query, limit: int, face: Any = None) -> dict[str, Any]:
    """The answer; a query of many sentences runs in the low-priority lane (web.slow_lane)."""
    from cinesearch.web import slow_lane

    engine = library().engine
    if face is None and len(query.sentences) > slow_lane.HEAVY_SENTENCES:
        return slow_lane.run(lambda: engine.search(query, limit=limit))
    return engine.search(query, limit=limit, face=face)


def face_from_upload() -> tuple[Any, str | None]:
    from cinesearch.search.face_query import decode_photo, face_from_image

    photo = request.files.get("photo")
    if photo is None or not photo.filename:
        raise UserError("send the face photo as multipart field 'photo'")
    return face_from_image(decode_photo(photo.read(), "photo"), "photo")


@api.get("/health")
def health():
    lib = library()
    movies = lib.store.list_movies()
    return jsonify(status="ok", library=lib.root.name, backend=lib.store.backend, movies=len(movies),
                   shots=sum(m.n_shots for m in movies), models="warm" if lib.warm else "cold")


def answer_response(answer: dict[str, Any]):
    """The answer as JSON, or with ?format=edl|otio|csv as a file of selects to download."""
    fmt = request.args.get("format", "json")
    if fmt == "json":
        return jsonify(answer)
    from cinesearch.search.export import FORMATS, ExportError, export, format_for

    try:
        fmt = format_for(fmt)          # "EDL" is "edl"
        text = export(answer, library().engine.movies(), fmt)
    except ExportError as exc:
        raise UserError(f"format: {exc}") from None
    spec = FORMATS[fmt]
    resp = Response(text, mimetype=spec.mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="cinesearch-selects{spec.suffix}"'
    return resp


@api.get("/search")
def search():
    query, limit = search_args(request.args)
    return answer_response(run_search(query, limit))


@api.post("/face-search")
def face_search():
    vector, note = face_from_upload()
    query, limit = search_args(request.form)
    answer = run_search(query, limit, face=vector)
    if note:
        answer["notes"] = [note, *answer.get("notes", [])]
    return jsonify(answer)


def with_artwork(movie: Movie) -> dict[str, Any]:
    """A movie as JSON, with the URLs of its poster and fanart when it has them, and without the
    video's path on the server (its file name only) unless the server was told to show paths."""
    from flask import current_app, url_for

    data = movie.as_dict()
    if not current_app.config.get("SHOW_PATHS"):
        data["file"] = Path(data.pop("source")).name
        data["video"] = url_for("pages.video", movie_id=movie.id)
    for kind in ("poster", "fanart"):
        if isinstance(movie.meta.get(kind), str):
            data[kind] = url_for("pages.artwork", movie_id=movie.id, kind=kind)
    return data


BROWSE_ARGS = ("page", "per", "sort", "genre", "tag", "person", "text")


@api.get("/movies")
def movies():
    """Every film; with any of page, per, sort, genre, tag, person, text, one page of them, with
    the total in X-Total-Count and the next and previous pages in a Link header (as GitHub's API)."""
    from flask import url_for

    from cinesearch.search.overview import browse, parse_browse

    if not any(k in request.args for k in BROWSE_ARGS):
        return jsonify([with_artwork(m) for m in library().store.list_movies()])
    b = parse_browse(request.args.to_dict())
    shown, pages, total = browse(library().overview.cards(), b)
    resp = jsonify([with_artwork(c.movie) for c in shown])
    resp.headers["X-Total-Count"] = str(total)
    page = min(b.page, pages)
    links = [(rel, p) for rel, p in (("prev", page - 1), ("next", page + 1)) if 1 <= p <= pages]
    if links:
        args = request.args.to_dict()
        resp.headers["Link"] = ", ".join(f'<{url_for("api.movies", **(args | {"page": p}))}>; rel="{rel}"'
                                         for rel, p in links)
    return resp


def movie_or_404(movie_id: str) -> Movie:
    movie = library().store.get_movie(movie_id)
    if movie is None:
        raise NotFound(f"no movie {movie_id!r}")
    return movie


@api.get("/movies/<movie_id>")
def movie(movie_id: str):
    data = with_artwork(movie_or_404(movie_id))
    data["cast"] = [c.as_dict() for c in library().store.get_characters(movie_id)]
    return jsonify(data)


@api.get("/movies/<movie_id>/shots")
def shots(movie_id: str):
    movie_or_404(movie_id)
    return jsonify([s.as_dict() for s in library().store.get_shots(movie_id)])


@api.get("/movies/<movie_id>/scenes")
def scenes(movie_id: str):
    movie_or_404(movie_id)
    return jsonify([s.as_dict() for s in library().store.get_scenes(movie_id)])


def similar_args(args: MultiDict[str, str]) -> tuple[int, list[str]]:
    """The limit and movie filter of a "more like this" request (shared with the pages)."""
    return check_limit(args.get("limit", 20)), check_movies(library().store, args.getlist("movie"))


def run_similar(movie_id: str, shot: int, limit: int, movies: list[str]) -> dict[str, Any]:
    return library().engine.similar(movie_id, shot, limit=limit, movies=movies)


@api.get("/movies/<movie_id>/shots/<int(signed=True):shot>/similar")
def similar(movie_id: str, shot: int):
    limit, movies = similar_args(request.args)
    return answer_response(run_similar(movie_id, shot, limit, movies))


@api.get("/openapi.json")
def openapi():
    filters = [{"name": "tags", "in": "query", "schema": {"type": "string"}, "description": "comma-separated"},
               {"name": "cast", "in": "query", "schema": {"type": "string"}, "description": "comma-separated"},
               {"name": "movie", "in": "query", "schema": {"type": "string"}},
               {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
               {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "edl", "otio", "csv"]},
                "description": "json (default), or the clips as selects to download: a CMX 3600 EDL, an "
                               "OpenTimelineIO file, a CSV"}]
    def body(what: str, schema: str) -> dict:
        ref = {"$ref": f"#/components/schemas/{schema}"}
        return {"description": what, "content": {"application/json": {"schema": ref}}}

    error, results = body("error", "Error"), body("clips", "Answer")
    movie_id = [{"name": "movie_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "cinesearch", "version": "1", "description": "Semantic search for movies."},
        "paths": {
            "/api/health": {"get": {"summary": "library status", "responses": {"200": {"description": "ok"}}}},
            "/api/search": {"get": {"summary": "clips for a sentence, paragraph, tags or cast",
                                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "string",
                                                                                           "maxLength": 2000}},
                                                   *filters],
                                    "responses": {"200": results, "400": error, "404": error}}},
            "/api/face-search": {"post": {
                "summary": "every appearance of the person in a face photo",
                "requestBody": {"content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["photo"],
                    "properties": {"photo": {"type": "string", "format": "binary"}, "q": {"type": "string"},
                                   "movie": {"type": "string"}, "limit": {"type": "integer"}}}}}},
                "responses": {"200": results, "400": error, "413": error}}},
            "/api/movies": {"get": {"summary": "indexed movies", "responses": {"200": {"description": "movies"}}}},
            "/api/movies/{movie_id}": {"get": {"parameters": movie_id, "responses": {"200": {"description": "movie"},
                                                                                      "404": error}}},
            "/api/movies/{movie_id}/shots": {"get": {"parameters": movie_id,
                                                     "responses": {"200": {"description": "shots"}, "404": error}}},
            "/api/movies/{movie_id}/scenes": {"get": {"parameters": movie_id,
                                                      "responses": {"200": {"description": "scenes"}, "404": error}}},
            "/api/movies/{movie_id}/shots/{shot}/similar": {"get": {
                "summary": "more like this: the shots that look like this one",
                "parameters": [*movie_id, {"name": "shot", "in": "path", "required": True,
                                           "schema": {"type": "integer", "minimum": 0}}, *filters[2:]],
                "responses": {"200": results, "400": error, "404": error}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            "Answer": {"type": "object", "properties": {
                "query": {"type": "object"}, "notes": {"type": "array", "items": {"type": "string"}},
                "results": {"type": "array", "items": {"type": "object", "properties": {
                    "movie_id": {"type": "string"}, "title": {"type": "string"}, "start": {"type": "number"},
                    "end": {"type": "number"}, "score": {"type": "number"}, "thumbnail": {"type": "string"},
                    "why": {"type": "array", "items": {"type": "object"}}}}}}}}},
    }
    return jsonify(doc)
