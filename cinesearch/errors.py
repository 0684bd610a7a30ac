"""One hierarchy for every error cinesearch reports, mapped once to exit codes (the CLI) and once
to HTTP statuses (the API), so that a new error class needs no new handler anywhere.

- `UserError`: the input or the request is wrong and the user can fix it (exit 2, HTTP 400);
  `NotFound` is the kind that names something missing (exit 2, HTTP 404).
- `Unavailable`: something the work needs cannot be had right now, a library, a server, a
  model's weights; nothing was changed (exit 2, HTTP 503).
- Anything else is a bug (exit 1, HTTP 500).
"""

from __future__ import annotations

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class CinesearchError(Exception):
    """The root of cinesearch's own errors."""


class UserError(CinesearchError):
    """Bad input or a bad request: the message says what to change."""


class NotFound(UserError):
    """The request names a movie, shot or file that does not exist."""


class Unavailable(CinesearchError):
    """A library, a server or a model the work needs cannot be had now; nothing was changed."""


def exit_code(exc: BaseException) -> int:
    """The CLI's exit code for an error: 2 for anything the user can act on, 1 for a bug."""
    return EXIT_INPUT if isinstance(exc, UserError | Unavailable) else EXIT_INTERNAL


def http_status(exc: BaseException) -> int:
    """The API's status for an error."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, UserError):
        return 400
    if isinstance(exc, Unavailable):
        return 503
    return 500
