"""Reading a side file (subtitles, NFO) that may come from anyone: capped in size, and every
failure an InputError that names the file."""

from __future__ import annotations

from pathlib import Path

from cinesearch.indexer.errors import InputError


def read_capped(path: Path, limit: int, what: str) -> bytes:
    """The file's bytes, refused when it is over `limit` bytes (`what` names the kind of file)."""
    where = str(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(where, f"too large for {what} ({size:,} bytes; at most {limit:,})")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(where, f"cannot read: {exc.strerror or exc}") from exc
