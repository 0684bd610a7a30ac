"""Content hashes: re-indexing an unchanged movie is a no-op, decided by what the files contain."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cinesearch.indexer.errors import InputError

PIPELINE_VERSION = "2"  # bump when the indexer's output for the same input changes


def file_hash(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "blake2b").hexdigest()[:32]
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from exc
