"""The JSON API and the pages through Flask's test client, on a real library: search, face search,
movies, OpenAPI, and the security cases (ranges, traversal, upload cap, non-images, escaping)."""

from __future__ import annotations

import io
from pathlib import Path

import movie_builder as mb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(web_library, backend):
    from cinesearch.web.app import create_app

    app = create_app({"LIBRARY": str(web_library), "TESTING": True}).test_client()
    assert app.get("/api/health").json["backend"] == backend.name     # the folder chose the backend
    return app


def test_search_api_returns_clips_with_why(client):
    r = client.get("/api/search", query_string={"q": "someone asks for the umbrella at the railway station"})
    assert r.status_code == 200
    top = r.json["results"][0]
    assert top["movie_id"] == "story" and top["strong"] and top["why"] and top["thumbnail"].startswith("thumbs/")
    assert top["start"] <= mb.SPOKEN_AT + 1 and top["end"] >= mb.SPOKEN_AT


@pytest.mark.parametrize("params, status, message", [
    ({"q": ""}, 400, "empty query"),
    ({"q": "x" * 2001}, 400, "too long"),
    ({"q": "dog", "limit": "0"}, 400, "limit"),
    ({"q": "dog", "limit": "many"}, 400, "limit"),
    ({"q": "dog", "movie": "nope"}, 404, "no movie"),
])
def test_bad_requests_are_json_errors(client, params, status, message):
    r = client.get("/api/search", query_string=params)
    assert r.status_code == status and message in r.json["error"]


def test_movies_shots_scenes_health_and_openapi(client):
    movies = client.get("/api/movies").json
    assert {m["id"] for m in movies} == {"summit", "story"}
    summit = client.get("/api/movies/summit").json
    assert [c["character"] for c in summit["cast"]] == ["Obama", "Biden"] and all(c["has_face"] for c in summit["cast"])
    assert len(client.get("/api/movies/summit/shots").json) == summit["shots"]
    assert client.get("/api/movies/summit/scenes").status_code == 200
    assert client.get("/api/movies/nope").status_code == 404
    assert client.get("/api/health").json["movies"] == 2
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.") and "/api/face-search" in doc["paths"]
    assert client.post("/api/search").status_code == 405        # GET only: no request changes state


def test_face_search_api_finds_the_person(client, media):
    data = {"photo": (io.BytesIO(media("obama2.jpg").read_bytes()), "someone.jpg")}
    r = client.post("/api/face-search", data=data, content_type="multipart/form-data")
    assert r.status_code == 200, r.json
    obama = [(a, b) for a, b, who in mb.cast_spans() if who == "Obama"]
    got = {(round(c["start"], 1), round(c["end"], 1)) for c in r.json["results"]}
    assert len(got) == len(obama)
    for c in r.json["results"]:
        mid = (c["start"] + c["end"]) / 2
        assert any(a <= mid < b for a, b in obama) and c["why"]


def test_upload_checks(client, media):
    not_image = {"photo": (io.BytesIO(b"#!/bin/sh\necho hi\n"), "face.jpg")}
    r = client.post("/api/face-search", data=not_image, content_type="multipart/form-data")
    assert r.status_code == 400 and "not an image" in r.json["error"]
    no_face = {"photo": (io.BytesIO(media("dog.jpg").read_bytes()), "dog.jpg")}
    r = client.post("/api/face-search", data=no_face, content_type="multipart/form-data")
    assert r.status_code == 400 and "no face found" in r.json["error"]
    huge = {"photo": (io.BytesIO(b"\xff" * (11 * 1024 * 1024)), "big.jpg")}
    r = client.post("/api/face-search", data=huge, content_type="multipart/form-data")
    assert r.status_code == 413 and r.json["error"] == "upload too large"
    assert client.post("/api/face-search", data={}, content_type="multipart/form-data").status_code == 400


def _source(library: Path, movie_id: str = "summit") -> Path:
    """Where the video is on this machine (the API shows file names only)."""
    from cinesearch.search.store import open_store

    store = open_store(library)
    try:
        return Path(store.get_movie(movie_id).source)
    finally:
        store.close()


def test_movies_answers_carry_no_server_paths_unless_asked(client, web_library):
    import json

    from cinesearch.web.app import create_app

    for url in ("/api/movies", "/api/movies/summit", "/api/health"):
        text = json.dumps(client.get(url).json)
        assert str(web_library.parent) not in text and '"source"' not in text, url
    movie = client.get("/api/movies/summit").json
    assert movie["file"] == "summit.mp4" and client.get(movie["video"]).status_code == 200
    shown = create_app({"LIBRARY": str(web_library), "TESTING": True, "SHOW_PATHS": True}).test_client()
    assert shown.get("/api/movies/summit").json["source"] == str(_source(web_library))


def test_range_request_returns_206_with_the_right_bytes(client, web_library):
    source = _source(web_library)
    r = client.get("/video/summit", headers={"Range": "bytes=1000-1999"})
    assert r.status_code == 206 and r.headers["Content-Range"].startswith("bytes 1000-1999/")
    assert r.data == source.read_bytes()[1000:2000]
    thumb = client.get("/api/movies/summit/shots").json[0]["keyframes"][0]["path"]
    assert client.get(f"/media/{thumb}").status_code == 200


@pytest.mark.parametrize("url", [
    "/media/thumbs/../catalogue.sqlite", "/media/thumbs/%2e%2e/catalogue.sqlite", "/media/catalogue.sqlite",
    "/media//etc/passwd", "/media/thumbs//etc/passwd", "/media/%2Fetc%2Fpasswd", "/media/thumbs/..%2F..%2Fetc%2Fpasswd",
    "/portrait/summit/7", "/portrait/summit/-1", "/video/..%2Fsummit",
])
def test_media_routes_never_leave_the_library(client, url):
    assert client.get(url, follow_redirects=True).status_code == 404   # (werkzeug first merges "//")


def test_pages_render_and_escape_what_the_user_typed(client, web_library):
    r = client.get("/", query_string={"q": '<script>alert("x")</script> umbrella'})
    assert r.status_code == 200
    assert b"<script>alert" not in r.data and b"&lt;script&gt;" in r.data
    page = client.get("/movie/summit")
    assert page.status_code == 200 and b"Obama" in page.data and b"/portrait/summit/0" in page.data
    scenes = client.get("/api/movies/summit/scenes").json
    first_kf = client.get("/api/movies/summit/shots").json[scenes[0]["shots"][0]]["keyframes"][0]["path"]
    assert page.data.count(b'class="scene"') == len(scenes)      # each scene shown with its first keyframe
    assert b'alt="first shot of scene 1"' in page.data and first_kf.encode() in page.data
    portrait = client.get("/portrait/summit/0")
    source = _source(web_library).parent
    # the copy made at index time: the very bytes of the portrait movie.json named
    assert portrait.status_code == 200 and portrait.data == (source / "cast" / "obama.jpg").read_bytes()
    assert client.get("/movie/nope").status_code == 404
    bad = client.get("/", query_string={"q": "a\x07b"})
    assert bad.status_code == 400 and b"control character" in bad.data


def test_show_more_raises_the_limit_while_the_answer_fills_it(client):
    import re

    query = "the president speaks at the summit"
    every = client.get("/api/search", query_string={"q": query, "limit": 100}).json["results"]
    assert len(every) >= 3
    page = client.get("/", query_string={"q": query, "limit": 2}).get_data(as_text=True)
    assert page.count('<li class="clip') == 2
    link = re.search(r'href="([^"]+)">Show more clips', page)
    assert link and "limit=22" in link.group(1)
    more = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert more.count('<li class="clip') == min(22, len(every))
    last = client.get("/", query_string={"q": query, "limit": len(every)}).get_data(as_text=True)
    assert "Show more clips" not in last                      # nothing more to show
    like = client.get("/similar/story/0", query_string={"limit": 1}).get_data(as_text=True)
    assert like.count('<li class="clip') == 1 and "/similar/story/0?limit=21" in like


def test_the_query_box_shows_tag_and_cast_searches_and_timecode_links_open_the_player_there(client):
    import re

    page = client.get("/", query_string={"tags": "politics"}).get_data(as_text=True)
    assert 'value="tag:politics"' in page
    page = client.get("/", query_string={"cast": "Obama"}).get_data(as_text=True)
    assert 'value="cast:Obama"' in page
    links = re.findall(r'href="(/movie/summit\?t=[0-9.]+)"', page)
    assert links, "each result links to its moment"
    start = float(links[0].split("t=")[1])

    def player(url: str) -> str:
        html = client.get(url).get_data(as_text=True)
        return re.search(r'class="main-player"[^>]*src="([^"]*)"', html).group(1)

    assert player(links[0]) == f"/video/summit#t={start:.2f}"
    assert player("/movie/summit?t=0:03.5") == "/video/summit#t=3.50"
    for bad in ("abc", "-1", "99999", "nan", "1:2:3:4"):
        assert player(f"/movie/summit?t={bad}") == "/video/summit", bad


def test_movies_api_pages_like_the_home_page(client, web_library):
    first = client.get("/api/movies", query_string={"per": 1, "sort": "title"})
    assert first.status_code == 200 and len(first.json) == 1 and first.headers["X-Total-Count"] == "2"
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    second = client.get("/api/movies", query_string={"per": 1, "sort": "title", "page": 2})
    assert {first.json[0]["id"], second.json[0]["id"]} == {"story", "summit"}
    assert str(web_library.parent) not in first.get_data(as_text=True) + second.get_data(as_text=True)
    picked = client.get("/api/movies", query_string={"person": "Obama"}).json
    assert [m["id"] for m in picked] == ["summit"]
    bad = client.get("/api/movies", query_string={"per": 0})
    assert bad.status_code == 400 and "per" in bad.json["error"]
