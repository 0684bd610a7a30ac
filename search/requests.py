"""Checks that the CLI and the API both make on what a person asks for, so a bad limit, an
unknown movie or a bad query gets the same message from either. Each names the argument as the
caller spells it (`--limit` on the command line, `limit` in a URL)."""

from __future__ import annotations

from collections.abc import Iterable

from cinesearch.errors import NotFound, UserError
from cinesearch.search.query import Query, parse_query
from cinesearch.search.store import StoreReader

MAX_LIMIT = 100


def check_limit(value: object, name: str = "limit") -> int:
    """A result count between 1 and 100; text is accepted (URL arguments)."""
    try:
        limit = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise UserError(f"{name} must be a whole number, not {value!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"{name} must be between 1 and {MAX_LIMIT}, not {limit}")
    return limit


def check_movies(store: StoreReader, movies: Iterable[str], name: str = "movie") -> list[str]:
    """The movie filter, refused (NotFound) at the first id that names no movie of the library."""
    movies = [m for m in movies if m]
    unknown = [m for m in movies if store.get_movie(m) is None]
    if unknown:
        raise NotFound(f"{name}: no movie {unknown[0]!r} in the library")
    return movies


def check_port(port: int) -> int:
    if not 0 < port < 65536:
        raise UserError(f"--port must be between 1 and 65535, not {port}")
    return port


def search_query(store: StoreReader, text: str, *, tags: Iterable[str] = (), cast: Iterable[str] = (),
                 movies: Iterable[str] = (), allow_empty: bool = False, movie_flag: str = "movie") -> Query:
    """The parsed query (QueryError, a UserError, when it cannot be run) with its movie filter checked."""
    query = parse_query(text, tags=list(tags), cast=list(cast), movies=[m for m in movies if m],
                        allow_empty=allow_empty)
    check_movies(store, query.movies, movie_flag)
    return query
