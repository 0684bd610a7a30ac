"""The Flask app factory: the JSON API (`web.api`) and the pages (`web.pages`) over one library.

Configuration comes from a mapping (LIBRARY, STORE: backend options) over cinesearch.settings
(CINESEARCH_LIBRARY, CINESEARCH_BACKEND, CINESEARCH_ES_URL, ...). One store and one search engine
serve every request; both are safe to call from the server's threads at once (the store gives
each thread its own catalogue connection, the models lock themselves), so the app takes no lock
around them. Every cinesearch error becomes JSON with its status (cinesearch.errors.http_status).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from cinesearch import settings
from cinesearch.errors import CinesearchError, http_status
from cinesearch.web.library import EXTENSION, Library

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
WILDCARD = ("0.0.0.0", "::", "[::]", "")


_ONE_RANGE = re.compile(r"bytes=[ \t]*(?:(\d{1,20})-(\d{0,20})|-(\d{1,20}))[ \t]*")


def usable_range(header: str) -> bool:
    """Whether a Range header asks for one well-formed byte range. RFC 9110 (14.2): a range unit
    the server does not understand MUST be ignored, and an invalid ranges-specifier may be; the
    whole file is then sent (200). Several ranges are ignored too (no multipart/byteranges). An
    unsatisfiable but well-formed range (past the end) still gets its 416 from Werkzeug."""
    m = _ONE_RANGE.fullmatch(header)
    if m is None:
        return False
    first, last = m.group(1), m.group(2)
    return not (first is not None and last and int(last) < int(first))


_HOST = re.compile(r"(\[[0-9a-f:.]{2,45}\]|[a-z0-9.-]{1,253})(?::[0-9]{1,5})?")
HOST_REFUSED = "this server does not answer to that Host name (set CINESEARCH_ALLOWED_HOSTS)"


def host_allowed(header: str, allowed: list[str]) -> bool:
    """Whether a Host header (`name`, `name:port`, `[v6]:port`) names one of `allowed`."""
    m = _HOST.fullmatch(header.strip().lower())
    return m is not None and m.group(1).strip("[]") in {a.strip("[]") for a in allowed}


def trusted_hosts(bind: str, names: tuple[str, ...] = ()) -> list[str] | None:
    """The Host header values the server answers to: the address it binds and the configured
    names, loopback always. A page on another site cannot then reach a loopback server through
    a DNS name that resolves to 127.0.0.1 (DNS rebinding). Bound to every address (0.0.0.0) with
    no names configured, any Host is answered (the bind warning says there is no authentication)."""
    if bind.lower() in WILDCARD and not names:
        return None
    hosts = [*LOOPBACK, *names]
    if bind.lower() not in WILDCARD:
        hosts.append(bind.lower())
    return list(dict.fromkeys(hosts))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    env = settings.get()   # a bad CINESEARCH_* value fails here, at start, not in a request
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(LIBRARY=str(env.library), MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
                      JSON_SORT_KEYS=False, BIND_HOST="127.0.0.1")
    app.config.update(dict(config or {}))
    if "ALLOWED_HOSTS" not in (config or {}):
        app.config["ALLOWED_HOSTS"] = trusted_hosts(app.config["BIND_HOST"], env.allowed_hosts)
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

    @app.before_request
    def _host():
        allowed = app.config.get("ALLOWED_HOSTS")
        if allowed is not None and not host_allowed(request.environ.get("HTTP_HOST", ""), allowed):
            abort(400, description=HOST_REFUSED)

    @app.before_request
    def _range():
        header = request.environ.get("HTTP_RANGE")
        if header is not None and not usable_range(header):
            del request.environ["HTTP_RANGE"]    # answered as if absent: the whole file, 200

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'")
        return resp

    if app.config.get("WARM"):   # a server loads its models before it accepts a request
        app.config["WARM_SECONDS"] = app.extensions[EXTENSION].warm_up()
    return app
