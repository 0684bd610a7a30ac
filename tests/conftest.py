"""Shared test setup: offline models, the real-fixture cache, and a CLI runner."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fixture_media


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_cli(*args: str, library: Path | None = None) -> CliResult:
    """Run `cinesearch` in-process (models load once per test session), capturing its streams."""
    from cinesearch.cli import main

    argv = [*args]
    if library is not None:
        argv += ["--library", str(library)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return CliResult(code, out.getvalue(), err.getvalue())


ROOT = Path(__file__).resolve().parent.parent
ES_HOME = ROOT / ".es" / "elasticsearch-8.12.2"
BACKENDS = ["embedded", "elasticsearch"]
_prefixes = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EsNode:
    """One Elasticsearch node started with deploy/elasticsearch/start.sh (stopped by its pid)."""
    run_dir: Path
    http: int
    transport: int
    cluster: str
    name: str
    seeds: str = ""
    masters: str = ""
    roles: str = ""            # e.g. "data,ingest": never master

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    def start(self) -> None:
        cmd = ["bash", str(ROOT / "deploy/elasticsearch/start.sh"), str(self.run_dir), str(self.http),
               str(self.transport), self.cluster, self.name]
        if self.seeds:
            cmd += [self.seeds, self.masters]
        env = dict(os.environ, ES_ROLES=self.roles) if self.roles else None
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"Elasticsearch did not start: {done.stderr[-2000:]}")

    def stop(self) -> None:
        subprocess.run(["bash", str(ROOT / "deploy/elasticsearch/stop.sh"), str(self.run_dir)], capture_output=True,
                       timeout=120)


def require_elasticsearch() -> None:
    """CI installs Elasticsearch (deploy/elasticsearch/install.sh) and must run these tests; a
    developer machine without it skips them with the command that installs it."""
    if not (ES_HOME / "bin" / "elasticsearch").exists():
        message = f"Elasticsearch is not installed at {ES_HOME}: run deploy/elasticsearch/install.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def elasticsearch(tmp_path_factory):
    """A real single-node Elasticsearch on loopback for the whole session (its URL), or the server
    named by CINESEARCH_TEST_ES_URL."""
    if os.environ.get("CINESEARCH_TEST_ES_URL"):
        yield os.environ["CINESEARCH_TEST_ES_URL"]
        return
    require_elasticsearch()
    with es_run_dir() as run_dir:
        node = EsNode(run_dir, free_port(), free_port(), f"cinesearch-test-{os.getpid()}", "node-1")
        node.start()
        try:
            yield node.url
        finally:
            node.stop()


@contextlib.contextmanager
def es_run_dir():
    """A throwaway node folder directly under /tmp: the server's own user must be able to reach it
    (pytest's tmp folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="cinesearch-es-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Backend:
    """A store backend under test: the CLI arguments and open_store options of a new library."""
    name: str
    url: str | None = None

    def options(self) -> dict[str, str]:
        if self.name == "embedded":
            return {"backend": "embedded"}
        return {"backend": "elasticsearch", "es_url": self.url, "es_prefix": f"t{os.getpid()}-{next(_prefixes)}"}

    def args(self) -> list[str]:
        return [f"--{k.replace('_', '-')}={v}" for k, v in self.options().items()]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> Backend:
    """Parametrizes every library-building fixture over both backends: a library remembers its
    backend (backend.json), so the tests' later commands need no flags."""
    if request.param == "elasticsearch":
        return Backend("elasticsearch", request.getfixturevalue("elasticsearch"))
    return Backend("embedded")


@pytest.fixture
def new_store(backend, tmp_path):
    """open_store for a library at a path, on the backend under test (same indices on reopen)."""
    from cinesearch.search.store import open_store

    known: dict[Path, dict[str, str]] = {}
    opened = []

    def make(path: Path | None = None, create: bool = True):
        path = path or tmp_path / "lib"
        options = known.setdefault(path, backend.options())
        store = open_store(path, create=create, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        with contextlib.suppress(Exception):
            store.close()


@pytest.fixture(scope="session")
def media():
    def get(name: str) -> Path:
        try:
            return fixture_media.media(name)
        except fixture_media.FixtureUnavailable as exc:  # a registry outage is not a pass
            pytest.fail(f"real fixture unavailable: {exc}")

    return get


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def web_library(tmp_path_factory, media, backend):
    """A library for the web tests: the cast film (Obama and Biden, with portraits) and the story
    film with its subtitles."""
    import movie_builder as mb

    root = tmp_path_factory.mktemp("web")
    summit = mb.cast_folder(root)
    story = mb.story_folder(root, "The Lighthouse Story")
    lib = root / "library"
    result = run_cli("index", str(summit), str(story), "--no-progress", *backend.args(), library=lib)
    assert result.code == 0, result.err
    return lib


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory, media):
    """The demo's sample library of README command (1), built the same way: five real fixture
    clips and the Kodi-layout films (tests/library_builder.py), indexed with the fast profile."""
    import library_builder as lb

    root = lb.sample_library(tmp_path_factory.mktemp("sample") / "sample")
    lib = root.parent / "library"
    result = run_cli("index", str(root), "--profile", "fast", "--no-progress", library=lib)
    assert result.code == 0, result.err
    return lib
