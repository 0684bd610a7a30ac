"""`cinesearch models pull clip`: download open_clip weights once, into the user's cache, with a
progress bar and a checksum, and remember them so that the indexer turns CLIP on by itself.

Offline (CINESEARCH_OFFLINE, HF_HUB_OFFLINE, or the hub unreachable) it fails at once and says how
to hand over a weights file instead. The record lives apart from the code (open_clip's habit: a
registry of weights, not weights in code): `CACHE/clip/pulled.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cinesearch import settings
from cinesearch.models.registry import ModelUnavailable

DEFAULT_TAG = "laion2b_s34b_b79k"
RECORD = "pulled.json"
HUB = "https://huggingface.co"


@dataclass(frozen=True)
class Pulled:
    arch: str
    tag: str
    weights: Path
    sha256: str
    size: int


def clip_cache() -> Path:
    return settings.get().cache_dir() / "clip"


def pulled() -> Pulled | None:
    """The weights a pull left in the cache, when the file is still there and the right size."""
    record = clip_cache() / RECORD
    try:
        data = json.loads(record.read_text())
        found = Pulled(data["arch"], data["tag"], Path(data["weights"]), data["sha256"], int(data["size"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        return found if found.weights.stat().st_size == found.size else None
    except OSError:
        return None


def record_pull(arch: str, tag: str, weights: Path) -> Pulled:
    """Remember `weights` as the pulled CLIP (after checking them: the sha256 is taken here)."""
    digest = hashlib.sha256()
    with open(weights, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    entry = Pulled(arch, tag, weights.resolve(), digest.hexdigest(), weights.stat().st_size)
    folder = clip_cache()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{RECORD}.tmp"
    tmp.write_text(json.dumps({"arch": arch, "tag": tag, "weights": str(entry.weights), "sha256": entry.sha256,
                               "size": entry.size}, indent=1))
    os.replace(tmp, folder / RECORD)
    return entry


def offline_how_to(arch: str, tag: str) -> str:
    return (f"cannot download CLIP {arch}/{tag}: the hub is off or out of reach; fetch its "
            f"open_clip_model.safetensors on a connected machine and set "
            f"CINESEARCH_CLIP_WEIGHTS=/path/to/open_clip_model.safetensors (CINESEARCH_CLIP_MODEL={arch})")


def hub_reachable(timeout: float = 5.0) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(HUB, method="HEAD"), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def pull_clip(arch: str, tag: str = DEFAULT_TAG) -> Pulled:
    """Download `arch`/`tag` (open_clip's name for it) into the cache and record it. Raises
    ModelUnavailable with the offline how-to, or naming the tag open_clip does not know."""
    env = settings.get()
    if env.hub_offline or not hub_reachable():
        raise ModelUnavailable(offline_how_to(arch, tag))
    import open_clip

    cfg = open_clip.pretrained.get_pretrained_cfg(arch, tag)
    if not cfg:
        known = ", ".join(t for a, t in open_clip.list_pretrained() if a == arch) or "none"
        raise ModelUnavailable(f"open_clip has no weights {tag!r} for {arch} (known tags: {known})")
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    repo = cfg["hf_hub"].rstrip("/")
    filename = "open_clip_model.safetensors"
    target = clip_cache() / "hub"
    try:
        path = Path(hf_hub_download(repo, filename, cache_dir=target))     # tqdm progress bar on stderr
        expected = (get_hf_file_metadata(hf_hub_url(repo, filename)).etag or "").strip('"')
    except Exception as exc:
        raise ModelUnavailable(f"downloading CLIP {arch}/{tag} failed ({type(exc).__name__}: {exc}); "
                               + offline_how_to(arch, tag)) from exc
    entry = record_pull(arch, tag, path)
    if len(expected) == 64 and expected != entry.sha256:
        (clip_cache() / RECORD).unlink(missing_ok=True)
        raise ModelUnavailable(f"CLIP {arch}/{tag}: the download's sha256 {entry.sha256[:12]} does not match the "
                               f"hub's {expected[:12]}; run the pull again")
    return entry
