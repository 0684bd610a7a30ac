"""The relevance floor on the demo's sample library (README command (1)): a query that nothing
in the library matches says so; a query with one good match shows it above the floor and folds
the rest; the CLI prints the same split."""

from __future__ import annotations

import library_builder as lb
import pytest

pytestmark = pytest.mark.slow


def _answer(cli, lib, *args):
    res = cli("search", *args, "--json", "--limit", "10", library=lib)
    assert res.code == 0, res.err
    return res.json()


def test_a_query_that_matches_nothing_has_no_strong_match(sample_library, cli):
    answer = _answer(cli, sample_library, "an underwater volcano erupting")
    assert answer["results"], "the closest clips are still listed, below the floor"
    assert answer["relevance"]["strong"] == 0
    assert not any(r["strong"] for r in answer["results"])
    text = cli("search", "an underwater volcano erupting", library=sample_library).out
    assert text.startswith("no strong match")


def test_one_good_match_is_strong_and_comes_first_the_rest_fold(sample_library, cli):
    line = lb.B_LINES[0][1]          # a subtitle line of Harbour, in other words
    answer = _answer(cli, sample_library, "a golden key hidden under the stairs")
    assert line.startswith("The lighthouse keeper found a golden key")
    top = answer["results"][0]
    assert top["movie_id"] == "harbour-2011" and top["strong"], top
    flags = [r["strong"] for r in answer["results"]]
    assert flags == sorted(flags, reverse=True), "strong clips first"
    assert answer["relevance"]["strong"] < len(flags), "and the rest below the floor"


@pytest.mark.parametrize("args", [
    ["--cast", "The President"],          # found by face: always above the floor
    ["--tags", "cycling"],                # an NFO tag of Bikes (2005)
])
def test_people_and_tags_of_the_library_are_strong(sample_library, cli, args):
    answer = _answer(cli, sample_library, *args)
    assert answer["results"] and answer["results"][0]["strong"], answer["results"][:1]
