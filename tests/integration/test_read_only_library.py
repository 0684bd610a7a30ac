"""A library on a read-only disk (a bind mount remounted read-only when the tests run as root, a
folder without write permission otherwise) is searched and served; what must write says so in one
line and exits 2, and nothing in the library changes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _snapshot(library: Path) -> dict[str, str]:
    return {str(p.relative_to(library)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(library.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def read_only(src: Path, where: Path):
    """`src` seen read-only at `where`."""
    if os.geteuid() == 0:
        where.mkdir()
        subprocess.run(["mount", "--bind", str(src), str(where)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(where)], check=True)
            yield where
        finally:
            subprocess.run(["umount", "--lazy", str(where)], check=True)   # the app may still hold files
    else:
        shutil.copytree(src, where)
        for p in [where, *where.rglob("*")]:
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield where
        finally:
            for p in [where, *where.rglob("*")]:
                p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_a_read_only_library_is_searched_and_served_and_index_says_why_it_cannot(tmp_path, cli, media):
    lib = tmp_path / "lib"
    assert cli("index", str(media("bikes.mp4")), "--no-progress", library=lib).code == 0
    with read_only(lib, tmp_path / "ro") as ro:
        before = _snapshot(ro)
        found = cli("search", "people riding bicycles", "--json", library=ro)
        assert found.code == 0, found.err
        assert found.json()["results"][0]["movie_id"] == "bikes"
        assert cli("search", "--tags", "cycling", "--json", library=ro).code == 0
        assert cli("check", library=ro).code == 0

        from cinesearch.web.app import create_app

        client = create_app({"LIBRARY": str(ro), "TESTING": True}).test_client()
        assert client.get("/api/health").status_code == 200
        answer = client.get("/api/search?q=people+riding+bicycles")
        assert answer.status_code == 200 and answer.json["results"][0]["movie_id"] == "bikes"
        assert client.get(f"/media/{answer.json['results'][0]['thumbnail']}").status_code == 200
        assert client.get("/").status_code == 200

        for args in (("index", str(media("cityCC0.mpg")), "--no-progress"), ("remove", "bikes"), ("check", "--fix")):
            res = cli(*args, library=ro)
            lines = res.err.strip().splitlines()
            assert res.code == 2 and len(lines) == 1 and "library is read-only" in lines[0], (args, res.err)
        assert _snapshot(ro) == before
