"""The Flask app factory: the JSON API (`web.api`) and the pages (`web.pages`) over one library.

Configuration comes from a mapping (LIBRARY, STORE: backend options) plus the environment
(CINESEARCH_LIBRARY, CINESEARCH_BACKEND, CINESEARCH_ES_URL, ...). One store and one
search engine serve every request; queries run one at a time behind a lock (the SQLite catalogue
connection and the model calls are shared), which on 2 cores costs little: the work is CPU-bound.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify

from search.store import StoreError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class Library:
    """The opened library and its engine, created on first use and shared by all requests."""

    def __init__(self, root: Path, options: Mapping[str, Any] | None = None):
        self.root = root
        self.options = dict(options or {})   # backend, es_url, es_prefix (None: environment / library default)
        self.lock = threading.RLock()
        self._store = None
        self._engine = None

    @property
    def store(self):
        with self.lock:
            if self._store is None:
                from search.store import open_store

                self._store = open_store(self.root, **self.options)
            return self._store

    @property
    def engine(self):
        with self.lock:
            if self._engine is None:
                from search.engine import SearchEngine

                self._engine = SearchEngine(self.store)
            return self._engine


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(LIBRARY=os.environ.get("CINESEARCH_LIBRARY") or "library", MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
                      JSON_SORT_KEYS=False)
    app.config.update(dict(config or {}))
    app.extensions["cinesearch"] = Library(Path(app.config["LIBRARY"]).resolve(), app.config.get("STORE"))

    from web.api import api
    from web.pages import pages

    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(pages)

    @app.errorhandler(StoreError)
    def _store_error(exc: StoreError):
        return jsonify(error=str(exc)), 503

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'")
        return resp

    return app


def library(app: Flask | None = None) -> Library:
    from flask import current_app

    return (app or current_app).extensions["cinesearch"]
