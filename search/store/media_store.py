"""Where a library's pictures live: each movie's keyframes, portraits and artwork, one folder per
committed run. The catalogue (SQLite or Elasticsearch) only names them by key
(`thumbs/<movie>/<run>/<file>`), so the pictures can sit somewhere else than the catalogue.

`FolderMediaStore` keeps them under the library folder, which is also what a cluster of indexing
machines shares (NFS, a mounted bucket). An S3-compatible store would implement the same five
calls (publish = upload then list, release = delete by prefix), with `local_path` replaced by a
signed URL on the web side."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol

THUMBS = "thumbs"


class MediaStore(Protocol):
    """The narrow interface the stores write pictures through."""

    def publish(self, staged: Path, movie_id: str, run: str) -> str:
        """Move a run's finished pictures in (atomically where the medium allows); the key prefix
        the catalogue records for them."""
        ...

    def unpublish(self, movie_id: str, run: str, staged: Path) -> None:
        """Give a run that was not committed back to its staging folder, so a rerun resumes."""
        ...

    def keep_only(self, movie_id: str, run: str | None) -> None:
        """Drop the movie's other runs (every run when `run` is None), after a commit or removal."""
        ...

    def runs(self) -> list[str]:
        """Every stored run's key prefix, for leftover detection."""
        ...

    def drop_run(self, key: str) -> None:
        """Remove one run (a leftover of a crash between publishing and committing)."""
        ...


class FolderMediaStore:
    """Pictures in `<library>/thumbs/<movie>/<run>/`. Staging is on the same filesystem, so
    publishing is one rename."""

    def __init__(self, root: Path):
        self.root = root

    def _dir(self, movie_id: str) -> Path:
        return self.root / THUMBS / movie_id

    def publish(self, staged: Path, movie_id: str, run: str) -> str:
        final = self._dir(movie_id) / run
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, final)
        return f"{THUMBS}/{movie_id}/{run}"

    def unpublish(self, movie_id: str, run: str, staged: Path) -> None:
        final = self._dir(movie_id) / run
        if final.exists() and not staged.exists():
            staged.parent.mkdir(parents=True, exist_ok=True)
            os.replace(final, staged)
        else:
            shutil.rmtree(final, ignore_errors=True)

    def keep_only(self, movie_id: str, run: str | None) -> None:
        folder = self._dir(movie_id)
        if run is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        for old in folder.iterdir() if folder.is_dir() else []:
            if old.name != run:
                shutil.rmtree(old, ignore_errors=True)

    def runs(self) -> list[str]:
        thumbs = self.root / THUMBS
        return [f"{THUMBS}/{movie.name}/{run.name}" for movie in (sorted(thumbs.iterdir()) if thumbs.is_dir() else [])
                if movie.is_dir() for run in sorted(movie.iterdir())]

    def drop_run(self, key: str) -> None:
        shutil.rmtree(self.root / key, ignore_errors=True)
        parent = (self.root / key).parent
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
