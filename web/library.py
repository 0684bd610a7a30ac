"""The library a web app serves: its store and search engine, opened on first use and shared by
every request (a leaf module, as in the Flask tutorial's `db`: the routes reach the resources
through it, never through the app factory)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from cinesearch.search.engine import SearchEngine
    from cinesearch.search.overview import Overview
    from cinesearch.search.store import Store

EXTENSION = "cinesearch"


class Library:
    """The opened library and its engine, created on first use and shared by all requests."""

    def __init__(self, root: Path, options: Mapping[str, Any] | None = None):
        self.root = root
        self.options = dict(options or {})   # backend, es_url, es_prefix (None: environment / library default)
        self._opening = threading.Lock()      # only so that two first requests do not open two stores
        self._store: Store | None = None
        self._engine: SearchEngine | None = None
        self._overview: Overview | None = None
        self.warm = False                      # models loaded and indexes mapped (see warm_up)

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._opening:
                if self._store is None:
                    from cinesearch.search.store import open_store

                    self._store = open_store(self.root, **self.options)
        return self._store

    @property
    def engine(self) -> SearchEngine:
        if self._engine is None:
            store = self.store
            with self._opening:
                if self._engine is None:
                    from cinesearch.search.engine import SearchEngine

                    self._engine = SearchEngine(store)
        return self._engine

    @property
    def overview(self) -> Overview:
        """The films as cards with their facets (the home page, /api/movies paging)."""
        if self._overview is None:
            store = self.store
            with self._opening:
                if self._overview is None:
                    from cinesearch.search.overview import Overview

                    self._overview = Overview(store)
        return self._overview

    def warm_up(self) -> float:
        """Load every model a request may need and map the vector indexes, before the server
        accepts requests: the first query then costs what the others do. Returns the seconds."""
        import time

        from cinesearch import models
        from cinesearch.models import face_pool
        from cinesearch.models.device import compute_threads
        from cinesearch.search.query import parse_query

        t = time.perf_counter()
        self.engine.search(parse_query("a person walks through a city street at night"), limit=1)
        self.overview.cards()
        if models.face_analyzer() is not None:   # face queries in worker processes (dlib holds the GIL)
            face_pool.start(min(2, compute_threads()))
        self.warm = True
        return time.perf_counter() - t


def library(app: Flask | None = None) -> Library:
    return (app or current_app).extensions[EXTENSION]
