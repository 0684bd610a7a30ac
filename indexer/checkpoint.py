"""The staging checkpoint of one movie: the layers an interrupted run finished, each saved with the
fingerprint it was computed for, so a rerun resumes instead of recomputing."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


class Checkpoint:
    """Finished layers of an interrupted run, in the movie's staging folder, each saved with the
    fingerprint it was computed for."""

    def __init__(self, staging: Path):
        self.path = staging / "checkpoint.json"
        self._lock = threading.Lock()   # the speech layer finishes on its own thread
        try:
            self.data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}

    def get(self, layer: str, fingerprint: str) -> Any:
        entry = self.data.get(layer)
        return entry["value"] if entry and entry.get("fingerprint") == fingerprint else None

    def put(self, layer: str, fingerprint: str, value: Any) -> None:
        with self._lock:
            self.data[layer] = {"fingerprint": fingerprint, "value": value}
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data))
            os.replace(tmp, self.path)
