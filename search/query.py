"""The query a person types, parsed: free text (sentences), exact phrases, tags, cast names and a
movie filter. A small syntax rides in the same box: `tag:romance cast:Rose movie:titanic-1997
shot:night "exact phrase" the rest in free text`; values may be quoted (`tag:"road movie"`). `shot:`
keeps only shots with that film-language attribute (a scale, a camera motion, a light, a colour,
`people`, `text`).

Parsing never fails on odd input (an unmatched quote is plain text, an unknown `key:` is text);
only an empty, oversized or binary query is refused, with a message that says which.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from cinesearch.errors import UserError

MAX_QUERY_CHARS = 2000
MAX_SENTENCES = 12     # a paragraph: each sentence is retrieved and localized on its own
MAX_NAMES = 20         # tags or cast names in one query

_KEYS = {"tag": "tags", "tags": "tags", "cast": "cast", "movie": "movies", "shot": "shot"}
_TOKEN = re.compile(r'(?P<key>[A-Za-z]+):(?:"(?P<qval>[^"]*)"|(?P<val>[^\s"]+))|"(?P<phrase>[^"]*)"')
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"')\]]*\s+(?=\S)")
_WORD = re.compile(r"\w+", re.UNICODE)
# Words that carry no evidence for BM25 and make FTS5 score most of the library.
_STOP = ("a an and are as at be been but by for from has have he her his i in into is it its me my no not of on or "
         "our she so than that the their them then there these they this to was we were what when where which while "
         "who will with you your")
STOPWORDS = frozenset(_STOP.split())


class QueryError(UserError, ValueError):
    """A query that cannot be run; the message says why, in one line."""


@dataclass
class Query:
    text: str = ""                                  # free text, phrases included, operators removed
    phrases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)
    movies: list[str] = field(default_factory=list)
    shot: list[str] = field(default_factory=list)   # film-language filters: shot:night shot:close-up shot:pan

    @property
    def sentences(self) -> list[str]:
        return split_sentences(self.text)

    @property
    def words(self) -> list[str]:
        return keywords(self.text)

    def as_dict(self) -> dict:
        return {"text": self.text, "sentences": self.sentences, "phrases": self.phrases, "tags": self.tags,
                "cast": self.cast, "movies": self.movies, "shot": self.shot}


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def keywords(text: str) -> list[str]:
    """Distinct lower-case words for BM25, stopwords dropped (all kept if nothing else is left)."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    kept = [w for w in words if w not in STOPWORDS]
    return kept or words


def _check_text(raw: str) -> None:
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: {len(raw)} characters (the limit is {MAX_QUERY_CHARS})")
    if "\x00" in raw or "\ufffd" in raw:
        raise QueryError("query contains binary data")
    controls = sum(1 for ch in raw if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r")
    if controls:
        raise QueryError(f"query contains {controls} control character(s); send plain text")


def _split_list(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out += [p.strip() for p in v.split(",") if p.strip()]
    return list(dict.fromkeys(out))


def parse_query(raw: str | bytes | None, *, tags: Iterable[str] = (), cast: Iterable[str] = (),
                movies: Iterable[str] = (), allow_empty: bool = False) -> Query:
    """Parse the search box plus the separate fields (CLI flags, form fields) into one Query.

    `allow_empty` is for callers that bring another part of the query themselves (a face photo)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise QueryError("query contains binary data (not UTF-8 text)") from None
    raw = raw or ""
    _check_text(raw)
    for extra in (*tags, *cast, *movies):
        _check_text(extra)
    found: dict[str, list[str]] = {"tags": [], "cast": [], "movies": [], "shot": []}
    phrases: list[str] = []
    rest: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(raw):
        key = (m.group("key") or "").lower()
        if m.group("key") is not None and key not in _KEYS:
            continue   # "note: 10:30" is text
        rest.append(raw[pos:m.start()])
        pos = m.end()
        if m.group("phrase") is not None:
            phrase = " ".join(m.group("phrase").split())
            if phrase:
                phrases.append(phrase)
                rest.append(f" {phrase} ")
        else:
            found[_KEYS[key]].append(m.group("qval") if m.group("qval") is not None else m.group("val"))
    rest.append(raw[pos:])
    text = " ".join(" ".join(rest).replace('"', " ").split())
    shot = [s.lower().replace("_", " ") for s in _split_list(found["shot"])]
    if shot and not (text or _split_list([*found["tags"], *tags]) or _split_list([*found["cast"], *cast])):
        text = " ".join(shot)      # "shot:night" alone: the shots whose words say so
    q = Query(text=text, phrases=list(dict.fromkeys(phrases)),
              tags=[t.lower() for t in _split_list([*found["tags"], *tags])],
              cast=_split_list([*found["cast"], *cast]), movies=_split_list([*found["movies"], *movies]), shot=shot)
    if not (q.text or q.tags or q.cast or allow_empty):
        raise QueryError("empty query: type a sentence, or give tag:, cast: or a face photo")
    if (n := len(q.sentences)) > MAX_SENTENCES:
        raise QueryError(f"query has {n} sentences; at most {MAX_SENTENCES} (search a long passage a part at a time)")
    for what, names in (("tags", q.tags), ("cast names", q.cast)):
        if len(names) > MAX_NAMES:
            raise QueryError(f"query has {len(names)} {what}; at most {MAX_NAMES}")
    return q
