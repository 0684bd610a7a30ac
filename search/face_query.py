"""An uploaded face photo, checked and embedded: the one place both the CLI and the web API turn
user bytes into a face vector. The file is judged by its content, not its name."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import numpy as np

from cinesearch.errors import UserError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000          # a JPEG: decoded at a fraction of its size (draft mode), so cheap
MAX_PIXELS_FULL_DECODE = 16_000_000   # PNG, WebP, ...: decoded whole (a 36 MP PNG took 0.7 s of CPU)
MAX_SIDE = 1024   # a query photo is searched at most this large: its face is big, and detection cost grows with area


class FaceQueryError(UserError, ValueError):
    """The photo cannot be used; the message says why in one line."""


def decode_photo(data: bytes, name: str = "photo") -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_PHOTO_BYTES:
        raise FaceQueryError(f"{name}: {len(data)} bytes is over the {MAX_PHOTO_BYTES // 2**20} MiB limit")
    try:
        with Image.open(io.BytesIO(data)) as im:
            cap = MAX_PIXELS if im.format == "JPEG" else MAX_PIXELS_FULL_DECODE
            if im.width * im.height > cap:
                raise FaceQueryError(f"{name}: {im.width}x{im.height} is too large for a {im.format or 'photo'} "
                                     f"(at most {cap / 1e6:.0f} M pixels)")
            im.draft("RGB", (MAX_SIDE, MAX_SIDE))   # JPEG: decoded at a fraction of its size, cheaply
            im.load()
            rgb = im.convert("RGB")
            rgb.thumbnail((MAX_SIDE, MAX_SIDE))      # a 6000x6000 PNG costs a second, not 20 s and 2 GB
            return np.asarray(rgb)
    except Image.DecompressionBombError:   # Pillow refuses it while reading the header
        raise FaceQueryError(f"{name}: the image is too large (over {MAX_PIXELS:,} pixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, FaceQueryError):
            raise
        raise FaceQueryError(f"{name}: not an image (JPEG, PNG, WebP, ...)") from None


def face_from_image(rgb: np.ndarray, name: str = "photo") -> tuple[np.ndarray, str | None]:
    """The embedding of the photo's face, and a note when the largest of several was taken."""
    from cinesearch import models
    from cinesearch.models import face_pool

    faces = face_pool.query_faces(rgb)     # a server's worker processes, when they run
    if faces is None:
        analyzer = models.face_analyzer()
        if analyzer is None:
            raise FaceQueryError("face search needs the dlib face models (see the notice above)")
        faces = analyzer.photo_faces(rgb)   # small first, full size and upsampled only when needed
    if not faces:
        raise FaceQueryError(f"{name}: no face found")
    note = f"{name}: {len(faces)} faces; searching for the largest" if len(faces) > 1 else None
    return faces[0].vector, note


def face_from_photo(path: Path) -> tuple[np.ndarray, str | None]:
    """A photo named on the command line: a regular file only (a device such as /dev/zero or a
    FIFO reports size 0 and never ends), read up to one byte past the cap, whatever it says its
    size is."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise FaceQueryError(f"{path}: not a regular file")
        with path.open("rb") as fh:
            data = fh.read(MAX_PHOTO_BYTES + 1)
    except OSError as exc:
        raise FaceQueryError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return face_from_image(decode_photo(data, str(path)), str(path))
