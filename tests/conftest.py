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


@pytest.fixture(scope="session")
def web_library(tmp_path_factory, media):
    """A library for the web tests: the cast film (Obama and Biden, with portraits) and the story
    film with its subtitles."""
    import movie_builder as mb

    root = tmp_path_factory.mktemp("web")
    summit = mb.cast_folder(root)
    story = root / "story"
    story.mkdir()
    os.link(mb.story_movie(), story / "story.mp4")
    mb.write_srt(story / "story.en.srt", mb.STORY_CUES)
    (story / "movie.json").write_text(json.dumps({"title": "The Lighthouse Story", "genres": ["Drama"],
                                                  "subtitles": ["story.en.srt"]}))
    lib = root / "library"
    result = run_cli("index", str(summit), str(story), "--no-progress", library=lib)
    assert result.code == 0, result.err
    return lib
