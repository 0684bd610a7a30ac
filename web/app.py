"""The Flask app factory: the JSON API (`web.api`) and the pages (`web.pages`) over one library.

Configuration comes from a mapping (LIBRARY, STORE: backend options) over cinesearch.settings
(CINESEARCH_LIBRARY, CINESEARCH_BACKEND, CINESEARCH_ES_URL, ...). One store and one search engine
serve every request; both are safe to call from the server's threads at once (the store gives
each thread its own catalogue connection, the models lock themselves), so the app takes no lock
around them. Every cinesearch error becomes JSON with its status (cinesearch.errors.http_status).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from cinesearch import settings
from cinesearch.errors import CinesearchError, http_status
from cinesearch.web.library import EXTENSION, Library

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    env = settings.get()   # a bad CINESEARCH_* value fails here, at start, not in a request
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(LIBRARY=str(env.library), MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
                      JSON_SORT_KEYS=False)
    app.config.update(dict(config or {}))
    app.extensions[EXTENSION] = Library(Path(app.config["LIBRARY"]).resolve(), app.config.get("STORE"))

    from cinesearch.web.api import api  # imported here: the routes need an app to exist
    from cinesearch.web.pages import pages

    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(pages)

    @app.errorhandler(CinesearchError)
    def _cinesearch_error(exc: CinesearchError):
        return jsonify(error=str(exc)), http_status(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        """Under /api every answer is JSON, an unknown route (404) or method (405) included."""
        if not request.path.startswith("/api/"):
            return exc
        message = "upload too large" if exc.code == 413 else exc.description
        return jsonify(error=message), exc.code

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'")
        return resp

    return app
