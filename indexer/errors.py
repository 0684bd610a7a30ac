"""Errors that the user can fix. The CLI maps them to exit code 2 and one line on stderr."""

from __future__ import annotations

from cinesearch.errors import UserError


class InputError(UserError):
    """Bad input: a missing file, an undecodable video, a bad field in movie.json.

    `where` names the file (and field) so the one-line message says what and where.
    """

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        return InputError, (self.where, self.message)   # crosses from worker processes intact
