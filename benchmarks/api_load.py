"""HTTP API latency under load on loopback: N concurrent clients, each sending text queries to
/api/search in a bounded loop, against a server started the way a user starts it. Prints p50/p95
latency, throughput and errors.

    python benchmarks/api_load.py [--library benchmarks/.cache/lib-100000] [--clients 20]
                                  [--requests 10] [--server serve|gunicorn]

The library defaults to the 100k-shot one that benchmarks/query_latency.py builds (run that first).
`serve` is `cinesearch serve` (one process, threads); `gunicorn` runs `cinesearch.web.wsgi:app` with 2 worker
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
    else:
        cmd = [str(venv / "cinesearch"), "serve", "--library", str(library), "--port", str(port)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, default=ROOT / "benchmarks" / ".cache" / "lib-100000")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10, help="requests per client")
    ap.add_argument("--server", choices=["serve", "gunicorn"], default="serve")
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
