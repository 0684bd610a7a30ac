"""The library at a glance: the films as cards, their facets (genres, tags, cast, kinds of text),
sorting and paging, for the home page and `/api/movies`. Pure functions over `FilmCard`s, and
`Overview`, which builds the cards once per library state (a store call per film, so not per
request)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cinesearch.search.store import Movie, StoreReader

SORTS = ("recent", "title", "year")
MAX_PER_PAGE = 200
TEXT_LABELS = {   # kinds of text a user can tell apart, as the facets name them
    "subtitle": "subtitles", "transcript": "transcript", "ocr": "on-screen text", "description": "descriptions",
    "script": "script", "synopsis": "synopsis", "plot": "plot",
}


@dataclass(frozen=True)
class Person:
    name: str            # the character (or the actor, when the cast entry names no role)
    actor: str | None
    movie_id: str
    portrait: int | None   # index of the character's portrait copy (web route /portrait/ID/INDEX)


@dataclass(frozen=True)
class FilmCard:
    movie: Movie
    texts: Counter[str] = field(default_factory=Counter)     # text kind -> count
    cast: tuple[Person, ...] = ()
    still: str | None = None      # a middle keyframe (library-relative), for films with no poster

    @property
    def genres(self) -> list[str]:
        return [str(g) for g in self.movie.meta.get("genres") or [] if isinstance(g, str)]

    @property
    def tags(self) -> list[str]:
        return [str(t) for t in self.movie.meta.get("tags") or [] if isinstance(t, str)]


@dataclass(frozen=True)
class Facets:
    genres: list[tuple[str, int]]
    tags: list[tuple[str, int]]
    cast: list[tuple[Person, int]]      # one portrait per name, and in how many films
    texts: list[tuple[str, int]]        # text kind, films that have it


def facets(cards: Iterable[FilmCard], limit: int = 60) -> Facets:
    """Counts of films per genre, tag, person and kind of text, most common first."""
    genres: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    texts: Counter[str] = Counter()
    people: Counter[str] = Counter()
    face: dict[str, Person] = {}
    for c in cards:
        genres.update(set(c.genres))
        tags.update(set(c.tags))
        texts.update(k for k in c.texts if k in TEXT_LABELS)
        people.update({p.name for p in c.cast})
        for p in c.cast:
            if p.name not in face or (face[p.name].portrait is None and p.portrait is not None):
                face[p.name] = p

    def top(counts: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))[:limit]

    return Facets(top(genres), top(tags), [(face[n], k) for n, k in top(people)], top(texts))


def select(cards: Iterable[FilmCard], genre: str | None = None, tag: str | None = None,
           person: str | None = None, text: str | None = None) -> list[FilmCard]:
    """The films that carry every facet value given (case-insensitive)."""
    def has(values: Iterable[str], wanted: str | None) -> bool:
        return wanted is None or wanted.lower() in {v.lower() for v in values}

    return [c for c in cards if has(c.genres, genre) and has(c.tags, tag)
            and has([p.name for p in c.cast] + [p.actor for p in c.cast if p.actor], person)
            and has(c.texts, text)]


def order(cards: Sequence[FilmCard], sort: str) -> list[FilmCard]:
    """`recent` (last indexed first), `title`, or `year` (newest first, undated last); ties by title."""
    def title(c: FilmCard) -> str:
        return (c.movie.title or c.movie.id).lower()

    by_title = sorted(cards, key=title)
    if sort == "recent":
        return sorted(by_title, key=lambda c: c.movie.indexed_at, reverse=True)
    if sort == "year":
        return sorted(by_title, key=lambda c: (c.movie.year is None, -(c.movie.year or 0)))
    return by_title


def page_of(items: Sequence[FilmCard], page: int, per: int) -> tuple[list[FilmCard], int]:
    """Page `page` (from 1) of `per` items, and the number of pages (at least 1)."""
    pages = max(1, -(-len(items) // per))
    first = (min(max(page, 1), pages) - 1) * per
    return list(items[first:first + per]), pages


class Overview:
    """The film cards of a library, rebuilt when the library changes."""

    def __init__(self, store: StoreReader):
        from cinesearch.search.per_generation import PerGeneration

        self.store = store
        self._cards = PerGeneration(store, lambda: [self._card(m) for m in store.list_movies()])

    def cards(self) -> list[FilmCard]:
        return self._cards.get()

    def _card(self, movie: Movie) -> FilmCard:
        texts = Counter(t.kind for t in self.store.get_texts(movie.id))
        people = []
        for i, c in enumerate(self.store.get_characters(movie.id)):
            people.append(Person(c.name, c.actor, movie.id, i if c.portrait else None))
        middle = self.store.get_shots(movie.id, movie.n_shots // 2, movie.n_shots // 2) if movie.n_shots else []
        frames = middle[0].keyframes if middle else []
        still = frames[len(frames) // 2].path if frames else None
        return FilmCard(movie, texts, tuple(people), still)


@dataclass(frozen=True)
class Browse:
    """What the home page (and /api/movies) shows: facet filters, sort, page."""
    genre: str | None = None
    tag: str | None = None
    person: str | None = None
    text: str | None = None
    sort: str = "recent"
    page: int = 1
    per: int = 24

    def filters(self) -> dict[str, str]:
        return {k: v for k, v in (("genre", self.genre), ("tag", self.tag), ("person", self.person),
                                  ("text", self.text)) if v}


def parse_browse(args: dict[str, str]) -> Browse:
    """Browse arguments from a request (UserError on a bad one)."""
    from cinesearch.errors import UserError

    def number(name: str, default: int, most: int) -> int:
        raw = str(args.get(name) or default).strip()
        if not raw.isdigit() or not 1 <= int(raw) <= most:
            raise UserError(f"{name} must be a whole number from 1 to {most}, not {raw[:20]!r}")
        return int(raw)

    sort = str(args.get("sort") or "recent")
    if sort not in SORTS:
        raise UserError(f"sort must be one of {', '.join(SORTS)}, not {sort[:20]!r}")
    facet = {k: (str(args.get(k) or "").strip()[:200] or None) for k in ("genre", "tag", "person", "text")}
    return Browse(facet["genre"], facet["tag"], facet["person"], facet["text"], sort,
                  number("page", 1, 1_000_000), number("per", 24, MAX_PER_PAGE))


def browse(cards: Sequence[FilmCard], b: Browse) -> tuple[list[FilmCard], int, int]:
    """The page of films a Browse asks for, the number of pages, and the number of films selected."""
    chosen = order(select(cards, b.genre, b.tag, b.person, b.text), b.sort)
    shown, pages = page_of(chosen, b.page, b.per)
    return shown, pages, len(chosen)
