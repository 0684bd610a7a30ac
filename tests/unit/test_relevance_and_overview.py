"""The pure parts of the relevance floor (calibration against chance) and of the library home
(facets, filters, sorting, paging)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from cinesearch.errors import UserError
from cinesearch.search.overview import FilmCard, Person, browse, facets, order, page_of, parse_browse, select
from cinesearch.search.relevance import (
    KEYWORD_FLOOR,
    POOLED,
    STRONG,
    NullScores,
    clip_strength,
    evidence_strength,
    keyword_coverage,
    null_from_hits,
    on_scale,
)
from cinesearch.search.store import Movie


def test_the_null_takes_each_querys_best_per_kind_and_bounds_missing_kinds_by_the_cutoff():
    hits = [[("subtitle", 0.5), ("ocr", 0.3), ("subtitle", 0.4)],     # k = 3 hits: the cutoff is 0.3
            [("ocr", 0.2), ("ocr", 0.1), ("ocr", 0.05)]]               # no subtitle: at most 0.05
    null = null_from_hits(hits, k=3)
    assert list(null.by_kind["subtitle"]) == [0.05, 0.5]
    assert list(null.by_kind["ocr"]) == [0.2, 0.3]
    assert list(null.by_kind[POOLED]) == [0.2, 0.5]


def test_with_fewer_hits_than_asked_a_missing_kind_is_chance_free():
    null = null_from_hits([[("plot", 0.4)], [("subtitle", 0.2)]], k=50)
    assert list(null.by_kind["plot"]) == [-1.0, 0.4]


def test_strength_is_the_share_of_chance_scores_beaten():
    null = NullScores({"subtitle": np.array([0.1, 0.2, 0.3, 0.4]), POOLED: np.array([0.5])})
    assert null.strength("subtitle", 0.05) == 0.0
    assert null.strength("subtitle", 0.35) == 0.75
    assert null.strength("subtitle", 0.9) == 1.0
    assert null.strength("transcript", 0.6) == 1.0          # an uncalibrated kind falls back on the pooled null
    assert NullScores().strength("subtitle", -1.0) == 1.0   # nothing to compare with: not rated down


@pytest.mark.parametrize("words,text,share", [
    (["riding", "bicycles"], "The riders race past two bicycles", 1.0),
    (["people", "riding", "bicycles"], "objects: a bicycle; scene: pay-phone", 1 / 3),
    (["car"], "a cartoon", 0.0),                      # short words match whole, not as prefixes
    ([], "anything", 0.0),
])
def test_keyword_coverage(words, text, share):
    assert keyword_coverage(words, text) == pytest.approx(share)


def test_floors_map_onto_the_strong_line():
    assert on_scale(KEYWORD_FLOOR, KEYWORD_FLOOR) == pytest.approx(STRONG)
    assert on_scale(1.0, KEYWORD_FLOOR) == pytest.approx(1.0)
    assert on_scale(0.0, KEYWORD_FLOOR) == 0.0
    assert on_scale(0.3, KEYWORD_FLOOR) < STRONG


def test_evidence_of_each_modality():
    null = NullScores({"subtitle": np.linspace(0.0, 0.4, 40), "concepts": np.linspace(0.1, 0.35, 40)})
    assert evidence_strength({"modality": "text", "kind": "subtitle", "score": 0.6}, null, []) >= STRONG
    assert evidence_strength({"modality": "text", "kind": "concepts", "score": 0.3}, null, []) < STRONG
    bm25 = {"modality": "bm25", "kind": "subtitle", "text": "a golden key", "score": 1.0}
    assert evidence_strength(bm25, null, ["golden", "key"]) >= STRONG
    assert evidence_strength(bm25, null, ["golden", "key", "stairs", "lamp"]) < STRONG
    assert evidence_strength({"modality": "tag", "score": 0.1, "how": "learned", "movie_tag": True}, null, []) == 1
    assert evidence_strength({"modality": "tag", "score": 0.2, "how": "learned", "movie_tag": False}, null, []) < STRONG
    assert evidence_strength({"modality": "face", "score": 0.9}, null, []) == 1.0


def test_a_paragraph_is_strong_when_half_its_sentences_are():
    null = NullScores({"subtitle": np.linspace(0.0, 0.4, 40)})
    strong = {"modality": "text", "kind": "subtitle", "score": 0.8}
    weak = {"modality": "text", "kind": "subtitle", "score": 0.1}
    sentences = [["a"], ["b"], ["c"]]
    two = [dict(strong, sentence=0), dict(strong, sentence=1), dict(weak, sentence=2)]
    one = [dict(strong, sentence=0), dict(weak, sentence=1), dict(weak, sentence=2)]
    assert clip_strength(two, null, sentences) >= STRONG
    assert clip_strength(one, null, sentences) < STRONG
    assert clip_strength([], null, [["a"]]) == 0.0


def _card(mid: str, title: str, year: int | None, at: str, genres=(), tags=(), cast=(), texts=()) -> FilmCard:
    movie = Movie(mid, f"/v/{mid}.mp4", "h", "f", "fast", 60.0, 1500, {}, {"genres": list(genres), "tags": list(tags)},
                  title=title, year=year, indexed_at=at)
    return FilmCard(movie, Counter(texts), tuple(Person(n, a, mid, i) for i, (n, a) in enumerate(cast)))


CARDS = [
    _card("a", "Alpha", 2001, "2026-01-03", ["Drama"], ["sea"], [("Rose", "Kate")], ["subtitle", "subtitle"]),
    _card("b", "beta", None, "2026-01-01", ["Drama", "War"], [], [("Jack", None)], ["transcript"]),
    _card("c", "Gamma", 1999, "2026-01-02", [], ["sea"], [("Rose", "Kate")], ["concepts"]),
]


def test_facets_count_films_most_common_first():
    f = facets(CARDS)
    assert f.genres == [("Drama", 2), ("War", 1)]
    assert f.tags == [("sea", 2)]
    assert [(p.name, n) for p, n in f.cast] == [("Rose", 2), ("Jack", 1)]
    assert f.texts == [("subtitle", 1), ("transcript", 1)]      # concepts are not a text kind users pick


def test_filters_sorting_and_paging():
    assert [c.movie.id for c in select(CARDS, genre="drama")] == ["a", "b"]
    assert [c.movie.id for c in select(CARDS, person="Kate", tag="SEA")] == ["a", "c"]
    assert [c.movie.id for c in select(CARDS, text="transcript")] == ["b"]
    assert [c.movie.id for c in order(CARDS, "recent")] == ["a", "c", "b"]
    assert [c.movie.id for c in order(CARDS, "title")] == ["a", "b", "c"]
    assert [c.movie.id for c in order(CARDS, "year")] == ["a", "c", "b"]     # undated last
    assert [[c.movie.id for c in page_of(CARDS, p, 2)[0]] for p in (1, 2, 9)] == [["a", "b"], ["c"], ["c"]]
    assert page_of([], 1, 24) == ([], 1)
    shown, pages, total = browse(CARDS, parse_browse({"genre": "Drama", "sort": "title", "per": "1", "page": "2"}))
    assert ([c.movie.id for c in shown], pages, total) == (["b"], 2, 2)


@pytest.mark.parametrize("args,message", [({"page": "0"}, "page"), ({"per": "1000"}, "per"),
                                          ({"sort": "random"}, "sort"), ({"page": "-1"}, "page")])
def test_bad_browse_arguments_are_named(args, message):
    with pytest.raises(UserError, match=message):
        parse_browse(args)
