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
