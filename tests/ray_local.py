"""A real Ray cluster on 127.0.0.1 for the tests and benchmarks: one `ray start --block` process
per node (the head first), token authentication on, each node in its own process group so that
stopping it stops everything it started."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

RAY = Path(sys.executable).parent / "ray"


@dataclass
class RayCluster:
    address: str
    env: dict[str, str]     # the environment a driver needs (the cluster's token)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive_nodes(address: str, env: dict[str, str]) -> int:
    probe = (f"import logging, ray; ray.init(address={address!r}, logging_level=logging.ERROR); "
             "print(sum(1 for n in ray.nodes() if n['Alive']))")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() else 0


@contextlib.contextmanager
def local_cluster(cpus: list[int], object_store_mb: int = 150) -> Iterator[RayCluster]:
    """Nodes with cpus[0] (the head), cpus[1], ... CPUs, ready when all have joined."""
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))   # Ray's socket paths must stay short
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": uuid.uuid4().hex,
           "PATH": f"{RAY.parent}:{os.environ.get('PATH', '')}"}
    address = f"127.0.0.1:{port}"
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 120
        for i, n in enumerate(cpus):
            common = [f"--num-cpus={n}", f"--object-store-memory={object_store_mb * 10**6}", "--disable-usage-stats",
                      "--block", "--node-ip-address=127.0.0.1"]
            where = ["--head", f"--port={port}", "--include-dashboard=false",
                     f"--ray-client-server-port={_free_port()}", f"--temp-dir={temp}"] if i == 0 \
                else [f"--address={address}"]
            nodes.append(subprocess.Popen([str(RAY), "start", *where, *common], env=env, start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            while alive_nodes(address, env) < i + 1:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Ray node {i + 1} of {len(cpus)} did not start")
                time.sleep(1)
        yield RayCluster(address, env)
    finally:
        for node in reversed(nodes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, signal.SIGTERM)
        for node in reversed(nodes):
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError):   # anything its raylet left behind
                os.killpg(node.pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)
