"""More like this. The ranking rules on their own, then on real media: the story film and the cast
film both hold the same real clips (bikes, the city), so the shots of one clip in one film must find
that clip in the other film first, on both backends, through the CLI and the API."""

from __future__ import annotations

import itertools

import movie_builder as mb
import pytest

from cinesearch.search.similar import rank_neighbours

W = {"appearance": 0.7, "visual": 1.0}


def test_neighbours_drop_the_example_cap_each_movie_and_keep_each_modality_cosine():
    a = [(("m1", 3), 1.0), (("m1", 4), 0.9), (("m1", 5), 0.8), (("m2", 0), 0.7), (("m1", 6), 0.6), (("m3", 1), 0.5)]
    out = rank_neighbours({"appearance": a}, W, exclude={("m1", 3)}, limit=10, per_movie=2)
    assert [n.key for n in out] == [("m1", 4), ("m1", 5), ("m2", 0), ("m3", 1)]
    assert out[0].score == pytest.approx(1.0) and out[0].cosines == {"appearance": 0.9}
    assert all(x.score > y.score for x, y in itertools.pairwise(out))
    only = rank_neighbours({"appearance": a}, W, exclude={("m1", 3)}, limit=10, allowed={"m2", "m3"})
    assert [n.key for n in only] == [("m2", 0), ("m3", 1)]
    assert len(rank_neighbours({"appearance": a}, W, exclude=set(), limit=2)) == 2


def test_two_modalities_are_fused_by_rank_and_agreement_wins():
    appearance = [(("a", 0), 0.9), (("b", 0), 0.8), (("c", 0), 0.7)]
    visual = [(("d", 0), 0.95), (("b", 0), 0.9), (("c", 0), 0.5)]
    out = rank_neighbours({"appearance": appearance, "visual": visual}, W, exclude=set(), limit=10)
    assert [n.key[0] for n in out] == ["b", "c", "d", "a"]   # second in both beats first in one
    assert out[0].cosines == {"appearance": 0.8, "visual": 0.9} and out[2].cosines == {"visual": 0.95}
    assert {n.key for n in out} == {("a", 0), ("b", 0), ("c", 0), ("d", 0)}
    assert rank_neighbours({"appearance": [], "visual": []}, W, exclude=set(), limit=5) == []


# -- on real media ----------------------------------------------------------------------------------
def _span(spans, name: str) -> tuple[float, float]:
    return next((a, b) for src, a, b, *_ in spans if src == name)


def _cast_spans() -> list[tuple[str, float, float]]:
    out, t = [], 0.0
    for src, secs, _ in mb.CAST_SHOTS:
        out.append((src, t, t + secs))
        t += secs
    return out


def _shot_at(cli, lib, movie: str, t: float) -> int:
    shots = cli("shots", movie, "--json", library=lib).json()
    return next(s["index"] for s in shots if s["start"] <= t < s["end"])


@pytest.mark.parametrize("clip", ["cityCC0.mpg", "bikes.mp4"])
def test_a_clip_in_one_film_finds_the_same_clip_in_the_other_first(web_library, cli, clip):
    a, _ = _span(mb.story_spans(), clip)
    example = _shot_at(cli, web_library, "story", a + 0.5)
    result = cli("similar", "story", str(example), "--limit", "8", "--json", library=web_library)
    assert result.code == 0, result.err
    answer = result.json()
    assert answer["query"]["like"]["shot"] == example
    results = answer["results"]
    assert ("story", [example, example]) not in [(r["movie_id"], r["shots"]) for r in results]   # not itself
    top = results[0]
    lo, hi = _span(_cast_spans(), clip)
    assert top["movie_id"] == "summit" and lo <= (top["start"] + top["end"]) / 2 < hi, top
    assert top["why"][0]["modality"] == "appearance" and top["why"][0]["like"] == ["story", example]
    assert all(r["why"] for r in results)
    only = cli("similar", "story", str(example), "--movie", "story", "--json", library=web_library).json()
    assert only["results"] and {r["movie_id"] for r in only["results"]} == {"story"}


def test_bad_examples_are_exit_2_and_http_404(web_library, cli):
    for args, says in ((["story", "999"], "has no shot 999"), (["nope", "0"], "no movie 'nope'"),
                       (["story", "-1"], "has no shot -1"), (["story", "x"], "invalid int"),
                       (["story", "0", "--limit", "0"], "--limit"), (["story", "0", "--movie", "nope"], "--movie")):
        result = cli("similar", *args, library=web_library)
        assert result.code == 2 and says in result.err and result.err.count("\n") == 1, (args, result.err)
    from cinesearch.web.app import create_app

    client = create_app({"LIBRARY": str(web_library), "TESTING": True}).test_client()
    ok = client.get("/api/movies/story/shots/0/similar", query_string={"limit": 3})
    assert ok.status_code == 200 and len(ok.json["results"]) == 3
    cli_top = cli("similar", "story", "0", "--limit", "3", "--json", library=web_library).json()["results"]
    assert [(r["movie_id"], r["shots"]) for r in ok.json["results"]] == [(r["movie_id"], r["shots"]) for r in cli_top]
    for url, status in (("/api/movies/story/shots/999/similar", 404), ("/api/movies/nope/shots/0/similar", 404),
                        ("/api/movies/story/shots/0/similar?limit=500", 400),
                        ("/api/movies/story/shots/0/similar?movie=nope", 404), ("/similar/story/999", 404)):
        r = client.get(url)
        assert r.status_code == status, (url, r.status_code)
        if url.startswith("/api/"):
            assert r.json["error"], url
