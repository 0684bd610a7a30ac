"""HTTP API latency under load on loopback: N concurrent clients, each sending text queries to
/api/search in a bounded loop, against a server started the way a user starts it. Prints p50/p95
latency, throughput and errors.

    python benchmarks/api_load.py [--library benchmarks/.cache/lib-100000] [--clients 20]
                                  [--requests 10] [--server serve|gunicorn]
    python benchmarks/api_load.py --library library --mix [--hostile] --clients 10

--mix: each client cycles through the request types a page makes: a text search, a face search
(an uploaded photo), a 64 KiB range of a video, and a thumbnail; p50/p95 and errors per type.
--hostile adds one client that only sends what costs most: 6000x6000 PNG uploads and queries of
the most sentences allowed; the others' latencies are what is reported.

The library defaults to the 100k-shot one that benchmarks/query_latency.py builds (run that first).
`serve` is `cinesearch serve` (waitress: one process, 8 threads), `dev` is `cinesearch serve --dev`
(Flask's development server); `gunicorn` runs `cinesearch.web.wsgi:app` with 2 worker
processes (one per core), each with its own engine.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from query_latency import QUERIES  # noqa: E402 - the same query set as the latency benchmark


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(kind: str, library: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", CINESEARCH_LIBRARY=str(library))
    venv = Path(sys.executable).parent
    if kind == "gunicorn":
        cmd = [str(venv / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "--timeout", "120",
               "cinesearch.web.wsgi:app"]
    else:   # serve: waitress; dev: Flask's development server
        cmd = [str(venv / "cinesearch"), "serve", "--library", str(library), "--port", str(port),
               *(["--dev"] if kind == "dev" else [])]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _post_photo(url: str, body: bytes, name: str = "photo.jpg") -> tuple[int, bytes]:
    boundary = "cinesearchload"
    data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _range(url: str, start: int, size: int) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Range": f"bytes={start}-{start + size - 1}"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _video_size(url: str) -> int:
    """The whole size, from the Content-Range of a one-byte range (no server path needed)."""
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=0-0"}), timeout=60) as r:
        return int(r.headers["Content-Range"].rsplit("/", 1)[1])


def _giant_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (6000, 6000), (200, 180, 160)).save(buf, "PNG")
    return buf.getvalue()


def mixed(base: str, clients: int, requests: int, hostile: bool, pause: float = 0.0) -> dict[str, list[float]]:
    """Latencies (s) per request type of `clients` clients cycling search, face, range, thumb."""
    sys.path.insert(0, str(ROOT / "tests"))
    import fixture_media

    photo = fixture_media.media("obama2.jpg").read_bytes()
    movies = json.loads(_get(base + "/api/movies")[1])
    videos = [(m["id"], _video_size(f"{base}/video/{m['id']}")) for m in movies]
    thumbs = [k["path"] for m in movies for s in json.loads(_get(f"{base}/api/movies/{m['id']}/shots")[1])
              for k in s["keyframes"][:1]]
    out: dict[str, list[float]] = {"search": [], "face": [], "range": [], "thumb": []}
    errors: dict[str, int] = dict.fromkeys(out, 0)
    lock = threading.Lock()
    done = threading.Event()

    def one(kind: str, n: int) -> None:
        t = time.perf_counter()
        if kind == "search":
            status, _ = _get(base + "/api/search?" + urllib.parse.urlencode({"q": QUERIES[n % len(QUERIES)]}))
        elif kind == "face":
            status, _ = _post_photo(base + "/api/face-search", photo)
        elif kind == "range":
            vid, size = videos[n % len(videos)]
            status, _ = _range(f"{base}/video/{vid}", (n * 7919 * 65536) % max(1, size - 65536), 65536)
        else:
            status, _ = _get(f"{base}/media/{thumbs[n % len(thumbs)]}")
        dt = time.perf_counter() - t
        with lock:
            out[kind].append(dt)
            errors[kind] += status not in (200, 206)

    def client(c: int) -> None:
        kinds = list(out)
        for i in range(requests):
            one(kinds[(c + i) % len(kinds)], c * requests + i)

    def attacker() -> None:
        giant = _giant_png()
        long_query = " ".join(f"the dog runs number {i}." for i in range(12))
        i = 0
        while not done.is_set():
            if i % 2:
                _post_photo(base + "/api/face-search", giant, "giant.png")
            else:
                _get(base + "/api/search?" + urllib.parse.urlencode({"q": long_query}))
            i += 1
            done.wait(pause)   # 0: back to back; else one costly request every `pause` seconds

    bad = threading.Thread(target=attacker) if hostile else None
    if bad is not None:
        bad.start()
        time.sleep(1.0)
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    done.set()
    if bad is not None:
        bad.join()
    for kind, lat in out.items():
        ms = np.asarray(lat) * 1000
        print(f"  {kind:<7} n={len(ms):<4} p50 {np.percentile(ms, 50):6.0f} ms   p95 {np.percentile(ms, 95):6.0f} ms   "
              f"max {ms.max():6.0f} ms   errors {errors[kind]}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, default=ROOT / "benchmarks" / ".cache" / "lib-100000")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10, help="requests per client")
    ap.add_argument("--server", choices=["serve", "dev", "gunicorn"], default="serve")
    ap.add_argument("--mix", action="store_true", help="search, face search, video ranges and thumbnails")
    ap.add_argument("--hostile", action="store_true", help="with --mix: one more client sending the costliest inputs")
    ap.add_argument("--hostile-pause", type=float, default=0.0, metavar="S",
                    help="seconds between the hostile client's requests (default 0: back to back)")
    args = ap.parse_args()
    if not (args.library / "catalogue.sqlite").exists():
        raise SystemExit(f"{args.library}: no library; run benchmarks/query_latency.py --sizes 100000 first")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(args.server, args.library, port)
    try:
        for _ in range(600):
            try:
                status, body = _get(base + "/api/health")
                if status == 200:
                    shots = json.loads(body)["shots"]
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("server did not come up")
        for q in QUERIES[:4]:   # warm every worker: models load, indexes map
            _get(base + "/api/search?" + urllib.parse.urlencode({"q": q}))
        if args.mix:
            print(f"{args.server}: {shots:,} shots, {args.clients} clients x {args.requests} mixed requests"
                  f"{' + 1 hostile client' if args.hostile else ''} on loopback")
            mixed(base, args.clients, args.requests, args.hostile, args.hostile_pause)
            return 0
        latencies: list[float] = []
        errors = 0
        lock = threading.Lock()

        def client(n: int) -> None:
            nonlocal errors
            for i in range(args.requests):
                q = QUERIES[(n * args.requests + i) % len(QUERIES)]
                t = time.perf_counter()
                status, _ = _get(base + "/api/search?" + urllib.parse.urlencode({"q": q, "limit": 10}))
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    errors += status != 200

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        ms = np.asarray(latencies) * 1000
        print(f"{args.server}: {shots:,} shots, {args.clients} clients x {args.requests} requests on loopback")
        print(f"  p50 {np.percentile(ms, 50):.0f} ms   p95 {np.percentile(ms, 95):.0f} ms   "
              f"throughput {len(ms) / wall:.1f} req/s   errors {errors}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
