"""Every `CINESEARCH_*` environment variable, read and validated in one place.

`get()` returns one frozen `Settings`; the rest of cinesearch reads its configuration from it and
never from `os.environ`. A bad value raises `SettingsError` (a `UserError`: exit 2 with one line,
HTTP 400 never happens because the app validates at start). The environment is parsed again only
when it changes, so a test's `monkeypatch.setenv` is seen without a reload call.

`python -m cinesearch.settings --markdown` prints the table the README carries (a test keeps the
two equal); `cinesearch settings` prints the effective values and where each came from.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from cinesearch.errors import UserError

PREFIX = "CINESEARCH_"
MODALITIES = ("text", "bm25", "visual", "tag", "appearance", "bank")   # the fusion weights (search.fusion)
FAULT_POINTS = ("decode", "checkpoint")
# Variables only the test suite and the setup scripts read; known, so they are not reported as typos.
TEST_ONLY = ("CINESEARCH_FIXTURES", "CINESEARCH_TEST_ES_URL", "CINESEARCH_SETUP_TESTS")


class SettingsError(UserError):
    """A variable holds a value cinesearch cannot use; the message names the variable."""


# -- parsers: text -> value, or ValueError with what was expected ---------------------------------
def _int(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError("is not a whole number") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value
    return parse


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be 1 or 0")


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip().lower() not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return text.strip().lower()
    return parse


def _text(text: str) -> str:
    return text.strip()


def _folder_or_file(kind: str) -> Callable[[str], Path]:
    """A path the user names must exist: a typo should fail now, not as a silently missing model."""
    def parse(text: str) -> Path:
        path = Path(text.strip()).expanduser()
        if kind == "file" and not path.is_file():
            raise ValueError("no such file")
        if kind == "any" and not path.exists():
            raise ValueError("no such file or folder")
        return path
    return parse


def _path(text: str) -> Path:
    return Path(text.strip()).expanduser()


_URL = re.compile(r"^https?://[^\s/,]+(/[^\s,]*)?$")


def _urls(text: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in text.split(",") if u.strip())
    bad = [u for u in urls if not _URL.match(u)]
    if not urls or bad:
        raise ValueError(f"{bad[0] if bad else text!r} is not an http(s):// URL")
    return urls


def _hosts(text: str) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower() for h in text.split(",") if h.strip())
    bad = [h for h in hosts if not re.fullmatch(r"[a-z0-9.:\[\]-]{1,253}", h)]
    if not hosts or bad:
        raise ValueError(f"{bad[0] if bad else text!r} is not a host name or address")
    return hosts


def _prefix(text: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", text.strip()):
        raise ValueError("must be lowercase letters, digits, '-' or '_' (Elasticsearch index names)")
    return text.strip()


def _device(text: str) -> str:
    low = text.strip().lower()
    if not re.fullmatch(r"cpu|mps|cuda(:\d+)?", low):
        raise ValueError("must be cpu, cuda, cuda:N or mps")
    return low


def _weights(text: str) -> tuple[tuple[str, float], ...]:
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if name not in MODALITIES:
            raise ValueError(f"unknown modality {name!r} (known: {', '.join(MODALITIES)})")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"{part!r} is not name=number") from None
        if not sep or weight < 0 or weight != weight:
            raise ValueError(f"{part!r} is not name=number (0 or more)")
        out[name] = weight
    return tuple(out.items())


parse_weights = _weights


@dataclass(frozen=True)
class Var:
    """One variable: the Settings field it fills, how its text is parsed, and what it means."""
    name: str
    field: str
    parse: Callable[[str], Any]
    help: str
    group: str


VARS: tuple[Var, ...] = (
    Var("CINESEARCH_LIBRARY", "library", _path, "library folder when --library is not given", "library"),
    Var("CINESEARCH_BACKEND", "backend", _choice("embedded", "elasticsearch"),
        "where the catalogue lives (else what the library folder remembers, else embedded)", "library"),
    Var("CINESEARCH_ES_URL", "es_urls", _urls, "Elasticsearch node URLs, comma-separated (the client fails over)",
        "elasticsearch"),
    Var("CINESEARCH_ES_PREFIX", "es_prefix", _prefix, "name prefix of the library's indices", "elasticsearch"),
    Var("CINESEARCH_ES_SHARDS", "es_shards", _int(1), "primary shards of new shot and text indices", "elasticsearch"),
    Var("CINESEARCH_ES_REPLICAS", "es_replicas", _int(0), "replicas per shard of new indices", "elasticsearch"),
    Var("CINESEARCH_ES_VECTORS", "es_vectors", _choice("int8_hnsw", "hnsw"),
        "vector index type of new indices", "elasticsearch"),
    Var("CINESEARCH_ES_CACHE_MB", "es_cache_mb", _int(0), "movies a serving process keeps in memory, MiB (0: off)",
        "elasticsearch"),
    Var("CINESEARCH_WEIGHTS", "weights", _weights,
        "fusion weights, e.g. text=1,bm25=0.8,visual=1,tag=1,appearance=0.7,bank=0.5", "search"),
    Var("CINESEARCH_FAISS_FLAT_MAX", "faiss_flat_max", _int(0), "exact (flat) faiss search up to this many vectors",
        "search"),
    Var("CINESEARCH_FAISS_HNSW_MAX", "faiss_hnsw_max", _int(0), "HNSW up to this many vectors, IVF-PQ beyond",
        "search"),
    Var("CINESEARCH_FAISS_HNSW_SQ8", "faiss_hnsw_sq8", _bool, "HNSW over 8-bit codes (0: float32 vectors)", "search"),
    Var("CINESEARCH_ALLOWED_HOSTS", "allowed_hosts", _hosts,
        "host names the server answers to besides the address it binds, comma-separated (DNS rebinding guard)",
        "web"),
    Var("CINESEARCH_DEVICE", "device", _device,
        "cpu, cuda or cuda:N for every model runtime (default: cuda when the driver sees one)", "models"),
    Var("CINESEARCH_THREADS", "threads", _int(1), "CPU threads indexing may use (default: all cores)", "models"),
    Var("CINESEARCH_OFFLINE", "offline", _bool, "never try a hub download (HF_HUB_OFFLINE=1 does the same)",
        "models"),
    Var("CINESEARCH_CACHE", "cache", _path, "folder for joined model files (default $XDG_CACHE_HOME/cinesearch)",
        "models"),
    Var("CINESEARCH_FACE_CNN", "face_cnn", _bool, "dlib's CNN face detector even where dlib has no CUDA", "models"),
    Var("CINESEARCH_CLIP_WEIGHTS", "clip_weights", _folder_or_file("file"),
        "open_clip weights file (.safetensors or .bin): turns CLIP on", "models"),
    Var("CINESEARCH_CLIP_MODEL", "clip_model", _text, "open_clip architecture of those weights (default ViT-B-32)",
        "models"),
    Var("CINESEARCH_CLIP_CONFIG", "clip_config", _folder_or_file("file"),
        "an architecture JSON open_clip does not know (its name is the file's stem)", "models"),
    Var("CINESEARCH_CLIP_PRETRAINED", "clip_pretrained", _text, "online: the open_clip tag to download", "models"),
    Var("CINESEARCH_TRANSNETV2_WEIGHTS", "transnetv2_weights", _folder_or_file("any"),
        "TransNetV2 weights (.pth) instead of the packaged ones", "models"),
    Var("CINESEARCH_EFFICIENTNET_WEIGHTS", "efficientnet_weights", _folder_or_file("any"),
        "EfficientNet-Lite3 .tflite (labels file beside it)", "models"),
    Var("CINESEARCH_SSD_WEIGHTS", "ssd_weights", _folder_or_file("any"),
        "SSD MobileNet COCO frozen graph (.pbtxt beside it)", "models"),
    Var("CINESEARCH_OCR_MODELS", "ocr_models", _folder_or_file("any"), "RapidOCR models folder", "models"),
    Var("CINESEARCH_WHISPER_TINY", "whisper_tiny", _folder_or_file("any"),
        "CTranslate2 Whisper folder for the fast profile", "models"),
    Var("CINESEARCH_WHISPER_BASE", "whisper_base", _folder_or_file("any"),
        "CTranslate2 Whisper folder for the full profile", "models"),
    Var("CINESEARCH_TEXT_MODEL", "text_model", _folder_or_file("any"),
        "sentence-transformers folder (384-d all-MiniLM-L6-v2)", "models"),
    Var("CINESEARCH_FACE_MODELS", "face_models", _folder_or_file("any"), "folder with the three dlib .dat files",
        "models"),
    Var("CINESEARCH_WORDSEGMENT_DATA", "wordsegment_data", _folder_or_file("any"),
        "folder with wordsegment's unigrams.txt and bigrams.txt", "models"),
    Var("CINESEARCH_WORDNET", "wordnet", _folder_or_file("any"),
        "folder with WordNet 3.0's index.noun and data.noun (default: Debian's /usr/share/wordnet)", "models"),
    Var("CINESEARCH_FAULT", "fault", _choice(*FAULT_POINTS),
        "testing only: SIGKILL the indexer at that point (resumability tests)", "testing"),
)


@dataclass(frozen=True)
class Settings:
    """The effective configuration. Field defaults are the built-in values."""
    library: Path = Path("library")
    backend: str | None = None
    es_urls: tuple[str, ...] = ("http://127.0.0.1:9200",)
    es_prefix: str = "cinesearch"
    es_shards: int = 1
    es_replicas: int = 0
    es_vectors: str = "int8_hnsw"
    es_cache_mb: int = 256
    weights: tuple[tuple[str, float], ...] = ()
    faiss_flat_max: int = 50_000
    faiss_hnsw_max: int = 400_000
    faiss_hnsw_sq8: bool = True
    allowed_hosts: tuple[str, ...] = ()
    device: str | None = None
    threads: int | None = None
    offline: bool = False
    cache: Path | None = None
    face_cnn: bool = False
    clip_weights: Path | None = None
    clip_model: str | None = None
    clip_config: Path | None = None
    clip_pretrained: str | None = None
    transnetv2_weights: Path | None = None
    efficientnet_weights: Path | None = None
    ssd_weights: Path | None = None
    ocr_models: Path | None = None
    whisper_tiny: Path | None = None
    whisper_base: Path | None = None
    text_model: Path | None = None
    face_models: Path | None = None
    wordsegment_data: Path | None = None
    wordnet: Path | None = None
    fault: str | None = None
    hf_hub_offline: bool = False            # HF_HUB_OFFLINE, read here too so models ask one object
    xdg_cache_home: Path | None = None      # XDG_CACHE_HOME
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)   # field -> variable it came from
    unknown: tuple[str, ...] = ()           # CINESEARCH_* names that no Var knows (typos)

    @property
    def es_url(self) -> str:
        return ",".join(self.es_urls)

    @property
    def hub_offline(self) -> bool:
        return self.offline or self.hf_hub_offline

    def model_path(self, env_var: str) -> Path | None:
        """The local weights a CINESEARCH_* variable names (see models.registry)."""
        var = BY_NAME.get(env_var)
        return getattr(self, var.field) if var is not None else None

    def cache_dir(self) -> Path:
        return self.cache or (self.xdg_cache_home or Path.home() / ".cache") / "cinesearch"

    def rows(self) -> list[tuple[str, str, str]]:
        """(variable, effective value, where it came from) for every variable."""
        out = []
        for var in VARS:
            value = getattr(self, var.field)
            shown = "" if value is None else ",".join(value) if var.field == "es_urls" else \
                ",".join(f"{k}={v:g}" for k, v in value) if var.field == "weights" else \
                str(int(value)) if isinstance(value, bool) else str(value)
            out.append((var.name, shown, "environment" if var.name in self.sources.values() else "default"))
        return out


BY_NAME = {v.name: v for v in VARS}
_FIELDS = {f.name for f in fields(Settings)}
assert all(v.field in _FIELDS for v in VARS), "every variable fills a Settings field"


def from_environ(environ: Mapping[str, str]) -> Settings:
    """Parse and validate; the first bad value raises SettingsError naming the variable."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for var in VARS:
        raw = environ.get(var.name)
        if raw is None or raw.strip() == "":
            continue
        try:
            values[var.field] = var.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{var.name}={raw!r}: {exc}") from None
        sources[var.field] = var.name
    values["hf_hub_offline"] = environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
    if environ.get("XDG_CACHE_HOME"):
        values["xdg_cache_home"] = Path(environ["XDG_CACHE_HOME"])
    unknown = tuple(sorted(k for k in environ if k.startswith(PREFIX) and k not in BY_NAME and k not in TEST_ONLY))
    return Settings(**values, sources=sources, unknown=unknown)


_lock = threading.Lock()
_cached: tuple[tuple[tuple[str, str], ...], Settings] | None = None
_warned: set[str] = set()
_OTHERS = ("HF_HUB_OFFLINE", "XDG_CACHE_HOME")


def _snapshot() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX) or k in _OTHERS))


def get() -> Settings:
    """The settings for the current environment (parsed once per distinct environment)."""
    global _cached
    snap = _snapshot()
    with _lock:
        if _cached is not None and _cached[0] == snap:
            return _cached[1]
        settings = from_environ(dict(snap))
        _cached = (snap, settings)
    for name in settings.unknown:
        if name not in _warned:
            _warned.add(name)
            close = difflib.get_close_matches(name, list(BY_NAME), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            print(f"cinesearch: notice: {name} is not a cinesearch variable{hint}; it is ignored", file=sys.stderr)
    return settings


def export(name: str, value: str) -> None:
    """Set a variable for this process and the processes it starts (a worker process given its
    share of the cores); checked like any other value, so a bad one fails here."""
    var = BY_NAME[name]
    try:
        var.parse(value)
    except ValueError as exc:
        raise SettingsError(f"{name}={value!r} {exc}") from None
    os.environ[name] = value


def forwarded(but: tuple[str, ...] = ()) -> dict[str, str]:
    """The variables set in this process's environment (known ones, and HF_HUB_OFFLINE), as text:
    what a process on another machine needs to run with this process's configuration."""
    return {k: v for k, v in _snapshot() if (k in BY_NAME or k == "HF_HUB_OFFLINE") and k not in but}


def markdown_table() -> str:
    """The README's table of variables, generated from VARS."""
    lines = ["| variable | default | what it sets |", "|---|---|---|"]
    defaults = Settings()
    for var, (_, shown, _) in zip(VARS, defaults.rows(), strict=True):
        lines.append(f"| `{var.name}` | {f'`{shown}`' if shown else '—'} | {var.help} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        print(markdown_table())
    else:
        for row in get().rows():
            print("\t".join(row))
