"""Inputs that used to crash or say too much (issue 19's findings that this build fixes): a device
as a face photo, a decompression bomb, unknown API routes and methods, the health answer, and a
server bound beyond loopback."""

from __future__ import annotations

import io
import zlib

import pytest

from cinesearch.cli.serve import bind_warning


def _png_bomb(side: int = 40_000) -> bytes:
    """A valid PNG header for a side x side grey image with almost no data: Pillow would need
    side^2 bytes to decode it."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (side + 1), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_a_device_as_the_face_photo_is_refused_before_any_read(cli, tmp_path):
    for path in ("/dev/zero", "/dev/null"):
        res = cli("search", "--face", path, library=tmp_path)
        assert res.code == 2 and res.err.strip() == f"cinesearch: error: {path}: not a regular file", res.err


def test_a_decompression_bomb_is_a_clear_refusal(cli, tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_bomb())
    res = cli("search", "--face", str(bomb), library=tmp_path)
    assert res.code == 2 and "too large" in res.err and len(res.err.strip().splitlines()) == 1, res.err


@pytest.fixture
def client(web_library):
    from cinesearch.web.app import create_app

    return create_app({"LIBRARY": str(web_library), "TESTING": True}).test_client()


def test_the_api_answers_json_for_unknown_routes_methods_and_bombs(client):
    for resp, status in ((client.get("/api/nothing-here"), 404), (client.delete("/api/search"), 405),
                         (client.post("/api/face-search", data={"photo": (io.BytesIO(_png_bomb()), "b.png")},
                                      content_type="multipart/form-data"), 400)):
        assert resp.status_code == status and resp.is_json and resp.json["error"], (status, resp.data[:200])
    assert "too large" in client.post("/api/face-search", data={"photo": (io.BytesIO(_png_bomb()), "b.png")},
                                      content_type="multipart/form-data").json["error"]


def test_health_names_no_path(client, web_library):
    health = client.get("/api/health").json
    assert health["library"] == web_library.name and "/" not in health["library"]


def test_binding_beyond_loopback_warns_that_there_is_no_authentication():
    assert bind_warning("127.0.0.1") is None and bind_warning("::1") is None
    assert "no authentication" in (bind_warning("0.0.0.0") or "")


def test_a_host_name_the_server_was_not_told_about_is_refused(web_library, monkeypatch):
    """DNS rebinding: a page elsewhere that makes its name resolve to 127.0.0.1 gets a 400."""
    from cinesearch.web.app import create_app, trusted_hosts

    client = create_app({"LIBRARY": str(web_library), "TESTING": True}).test_client()
    for host in ("localhost", "127.0.0.1:8000", "[::1]:8000"):
        assert client.get("/api/health", headers={"Host": host}).status_code == 200, host
    for host in ("rebind.attacker.example", "rebind.attacker.example:8000", "127.0.0.1.attacker.example"):
        resp = client.get("/api/health", headers={"Host": host})
        assert resp.status_code == 400 and "CINESEARCH_ALLOWED_HOSTS" in resp.json["error"], host
        assert client.get("/", headers={"Host": host}).status_code == 400
    monkeypatch.setenv("CINESEARCH_ALLOWED_HOSTS", "films.example.org")
    named = create_app({"LIBRARY": str(web_library), "TESTING": True}).test_client()
    assert named.get("/api/health", headers={"Host": "films.example.org"}).status_code == 200
    assert trusted_hosts("0.0.0.0") is None and "films.lan" in (trusted_hosts("0.0.0.0", ("films.lan",)) or [])
    assert "192.168.1.5" in (trusted_hosts("192.168.1.5") or [])


@pytest.mark.parametrize("header,status", [
    ("bytes=0-99", 206), ("bytes=-50", 206), ("bytes= 0-9", 206),
    ("bytes=abc", 200), ("bytes=5-2", 200), ("items=0-5", 200), ("bytes=0-1,5-9", 200), ("bytes=--1", 200),
    ("bytes=999999999999-", 416),
])
def test_range_headers_follow_rfc_9110(client, header, status):
    """A range the server does not understand is ignored (the whole file, 200), one past the end
    is unsatisfiable (416), a good one is served (206)."""
    movie = client.get("/api/movies").json[0]["id"]
    thumb = client.get(f"/api/movies/{movie}/shots").json[0]["keyframes"][0]["path"]
    whole = client.get(f"/media/{thumb}")
    resp = client.get(f"/media/{thumb}", headers={"Range": header})
    assert resp.status_code == status, (header, resp.status_code)
    if status == 200:
        assert resp.data == whole.data
    if status == 206:
        assert resp.headers["Content-Range"].startswith("bytes ") and len(resp.data) <= 100


def test_a_fifo_or_a_device_as_a_movie_is_refused_by_name(cli, tmp_path):
    import os

    fifo = tmp_path / "film.mp4"
    os.mkfifo(fifo)
    res = cli("index", str(fifo), "/dev/null", "--no-progress", library=tmp_path / "lib")
    lines = res.err.strip().splitlines()
    assert res.code == 2 and len(lines) == 2, res.err
    assert all("not a regular file or folder" in ln for ln in lines)
    assert not (tmp_path / "lib").exists()


def test_a_video_whose_name_holds_a_newline_and_quotes_is_served(cli, tmp_path, media):
    import shutil

    video = tmp_path / 'bad\nname".mp4'
    shutil.copyfile(media("carphone_pristine.mp4"), video)
    lib = tmp_path / "lib"
    assert cli("index", str(video), "--no-progress", library=lib).code == 0
    from cinesearch.web.app import create_app

    client = create_app({"LIBRARY": str(lib), "TESTING": True}).test_client()
    resp = client.get("/video/bad-name")
    assert resp.status_code == 200 and resp.data == video.read_bytes()
    assert "\n" not in resp.headers["Content-Disposition"] and '"' not in resp.headers["Content-Disposition"]
    assert client.get("/movie/bad-name").status_code == 200
