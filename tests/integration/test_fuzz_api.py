"""Property-based fuzzing (Hypothesis, derandomized) of the HTTP surface on a real library: search
queries and parameters, face-search uploads, and paths for every media route. No answer is a 500;
every /api answer is JSON; no media route serves a file from outside the library's thumbnails,
the indexed videos, or the artwork and portraits copied at index time."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def client(web_library):
    from cinesearch.web.app import create_app

    return create_app({"LIBRARY": str(web_library), "TESTING": True}).test_client()


TEXT = st.one_of(st.text(max_size=120), st.sampled_from(["", " ", "tag:", "cast:Obama", 'movie:"', "shot:wide",
                                                          "a" * 3000, "x. " * 40, "\x00", "%00", "../../etc/passwd"]))


@FUZZ
@given(q=TEXT, limit=st.one_of(st.none(), st.integers(-5, 500).map(str), st.text(max_size=5)),
       movie=st.one_of(st.none(), st.text(max_size=20), st.just("summit")), tags=st.one_of(st.none(), TEXT))
def test_search_never_answers_500_and_always_json(client, q, limit, movie, tags):
    params = {k: v for k, v in {"q": q, "limit": limit, "movie": movie, "tags": tags}.items() if v is not None}
    resp = client.get("/api/search", query_string=params)
    assert resp.status_code in (200, 400, 404, 413), (params, resp.status_code)
    assert resp.is_json and (resp.status_code == 200 or resp.json["error"])
    page = client.get("/", query_string=params)
    assert page.status_code < 500, (params, page.status_code)


def _jpeg_head() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 90, 60)).save(buf, "JPEG")
    return buf.getvalue()


@FUZZ
@given(body=st.one_of(st.binary(max_size=2000), st.builds(lambda cut, junk: _jpeg_head()[:cut] + junk,
                                                           st.integers(0, 700), st.binary(max_size=200))),
       name=st.text(max_size=30), q=st.one_of(st.none(), TEXT))
def test_face_search_uploads_never_answer_500(client, body, name, q):
    data = {"photo": (io.BytesIO(body), name or "x.jpg")}
    if q is not None:
        data["q"] = q
    resp = client.post("/api/face-search", data=data, content_type="multipart/form-data")
    assert resp.status_code in (200, 400, 413), resp.status_code
    assert resp.is_json


SEGMENTS = st.sampled_from(["..", ".", "", "thumbs", "summit", "catalogue.sqlite", "etc", "passwd", "%2e%2e", "%2f",
                            "..%2f", "%252e%252e", "\\..", "..\\", "%00", "portrait-000.jpg", "poster.jpg", "~",
                            "vectors", "staging", ".lock"])
ROUTES = st.sampled_from(["/media/", "/media/thumbs/", "/video/", "/portrait/summit/", "/artwork/summit/",
                          "/portrait/", "/artwork/"])


@FUZZ
@given(route=ROUTES, parts=st.lists(SEGMENTS, min_size=1, max_size=6), encode=st.booleans())
def test_media_routes_serve_nothing_from_outside(client, web_library, route, parts, encode):
    path = "/".join(quote(p, safe="%") if encode else p for p in parts)
    resp = client.get(route + path)
    assert resp.status_code < 500, (route + path, resp.status_code)
    if resp.status_code == 200:
        data = resp.get_data()
        assert not data.startswith(b"SQLite format 3") and b"root:" not in data[:200], route + path
        secrets = [p.read_bytes()[:64] for p in (web_library / "catalogue.sqlite",) if p.is_file()]
        assert all(not data.startswith(s) for s in secrets)
