"""Content hashes: re-indexing an unchanged movie is a no-op, decided by what the files contain."""

from __future__ import annotations

import hashlib
from pathlib import Path

from indexer.errors import InputError

PIPELINE_VERSION = "2"  # bump when the indexer's output for the same input changes


def file_hash(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "blake2b").hexdigest()[:32]
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from exc


def movie_fingerprint(video_hash: str, side_files: list[Path], profile: str) -> str:
    """Everything that determines the indexed result: the video, its side files, the profile and
    the pipeline version."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"v{PIPELINE_VERSION}|{profile}|{video_hash}".encode())
    for p in sorted(side_files):
        h.update(f"|{p.name}:{file_hash(p)}".encode())
    return h.hexdigest()
