"""Shared test setup: offline models, the real-fixture cache, and a CLI runner."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
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
    from web.cli import main

    argv = [*args]
    if library is not None:
        argv += ["--library", str(library)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return CliResult(code, out.getvalue(), err.getvalue())


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
