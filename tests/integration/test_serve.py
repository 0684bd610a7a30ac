"""`cinesearch serve` as a user runs it: waitress (a production WSGI server) by default, the models
loaded before it says "ready", so the first query costs what the others do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("dev", [False, True])
def test_serve_loads_the_models_then_says_ready_and_answers(web_library, dev):
    port = free_port()
    cmd = [sys.executable, "-m", "cinesearch.cli", "serve", "--library", str(web_library), "--port", str(port)]
    proc = subprocess.Popen([*cmd, *(["--dev"] if dev else [])], cwd=REPO, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "ready at" in line:
                break
        assert any("ready at" in ln for ln in lines), lines
        assert any(("waitress" in ln) != dev and "models loaded in" in ln for ln in lines), lines
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=30) as resp:
            health = json.loads(resp.read())
            server = resp.headers.get("Server", "")
        assert health["models"] == "warm" and server.startswith("Werkzeug" if dev else "cinesearch"), server
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=umbrella", timeout=30) as resp:
            assert resp.status == 200 and json.loads(resp.read())["results"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_face_queries_in_worker_processes_match_the_in_process_ones(media):
    """The server's face pool (dlib holds the GIL while embedding, so a server embeds in worker
    processes) finds the same face, the same vector, as the CLI's in-process path."""
    import numpy as np

    from cinesearch.models import face_pool
    from cinesearch.search.face_query import decode_photo, face_from_image

    rgb = decode_photo(media("obama2.jpg").read_bytes())
    here, _ = face_from_image(rgb)
    face_pool.start(2)
    try:
        there, _ = face_from_image(rgb)
        assert np.allclose(here, there, atol=1e-6)
        faces = face_pool.query_faces(np.zeros((64, 64, 3), np.uint8))
        assert faces == []
    finally:
        face_pool.stop()
    assert face_pool.query_faces(rgb) is None      # stopped: callers embed in-process again


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_no_face_worker_outlives_the_server(web_library, how):
    """Stopped by SIGTERM (systemd, docker stop) the server stops its face workers; killed with
    SIGKILL, its workers notice their parent is gone and exit."""
    import signal

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cinesearch.cli", "serve", "--library", str(web_library), "--port",
                             str(port)], cwd=REPO, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "ready at" not in (proc.stderr.readline() or "ready at"):
            pass
        children = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                                    text=True).stdout.split()]
        assert len(children) >= 2, children            # the face workers (and the resource tracker)
        proc.send_signal(getattr(signal, how))
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() for c in children):
            time.sleep(0.2)
        alive = [c for c in children if Path(f"/proc/{c}").exists()
                 and "zombie" not in Path(f"/proc/{c}/status").read_text().lower()]
        assert not alive, alive
    finally:
        if proc.poll() is None:
            proc.kill()
