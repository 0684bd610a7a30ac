"""Pure parts of search, without models: query parsing, reciprocal-rank fusion, focus (calibration,
max-sum spans, ordered alignment, cue-time focus) and multiple-instance learning."""

from __future__ import annotations

import numpy as np
import pytest

from cinesearch.search import focus as F
from cinesearch.search.fusion import FusionWeights, ranked, rrf
from cinesearch.search.mil import average_precision, train_mil
from cinesearch.search.query import MAX_QUERY_CHARS, QueryError, keywords, parse_query, split_sentences


def test_query_syntax_takes_tags_cast_movies_and_phrases_out_of_the_text():
    q = parse_query('tag:romance cast:Rose  "on the deck" at night movie:titanic-1997 tag:"road movie"',
                    tags=["Drama, chase"], cast=["Jack"])
    assert q.tags == ["romance", "road movie", "drama", "chase"]
    assert q.cast == ["Rose", "Jack"] and q.movies == ["titanic-1997"]
    assert q.phrases == ["on the deck"]
    assert q.text == "on the deck at night"


def test_query_parsing_is_robust_to_odd_input():
    assert parse_query('an "unmatched quote here').text == "an unmatched quote here"
    assert parse_query("meet at note: 10:30 sharp").text == "meet at note: 10:30 sharp"   # unknown key is text
    assert parse_query("tag:").text == "tag:"
    assert parse_query("  Hello   world  ").text == "Hello world"
    assert parse_query(b"caf\xc3\xa9 scene").text == "café scene"


@pytest.mark.parametrize("raw, message", [
    ("", "empty query"), ("   ", "empty query"), ('""', "empty query"),
    ("x" * (MAX_QUERY_CHARS + 1), "too long"),
    ("abc\x00def", "binary"), (b"\xff\xfe\x00", "binary"), ("bell \x07 here", "control character"),
])
def test_bad_queries_are_refused_with_a_reason(raw, message):
    with pytest.raises(QueryError, match=message):
        parse_query(raw)


def test_a_query_of_only_tags_or_cast_is_not_empty():
    assert parse_query("tag:chase").tags == ["chase"]
    assert parse_query("", cast=["Rose"]).cast == ["Rose"]
    assert parse_query("", allow_empty=True).text == ""


def test_sentences_and_keywords():
    assert split_sentences("A dog waits. Kites fly!  Then? rain") == ["A dog waits.", "Kites fly!", "Then?", "rain"]
    assert keywords("The dog and THE dog by the station") == ["dog", "station"]
    assert keywords("the and") == ["the", "and"]   # nothing but stopwords: keep them


def test_rrf_adds_weighted_reciprocal_ranks():
    fused = rrf({"text": ["a", "b", "c"], "bm25": ["b", "a", "b"], "visual": ["z"]},
                {"text": 1.0, "bm25": 0.5, "visual": 0.0}, k=60)
    assert fused["a"] == pytest.approx(1 / 61 + 0.5 / 62)
    assert fused["b"] == pytest.approx(1 / 62 + 0.5 / 61)   # the repeated "b" counts once, at its best rank
    assert "z" not in fused
    assert ranked(fused) == ["a", "b", "c"]


def test_fusion_weights_from_env_spec():
    w = FusionWeights.from_env("text=2, bm25=0")
    assert (w.text, w.bm25, w.visual) == (2.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="unknown modality"):
        FusionWeights.from_env("colour=1")
    with pytest.raises(ValueError, match="name=number"):
        FusionWeights.from_env("text=lots")


def test_max_sum_span_finds_the_best_contiguous_run():
    assert F.max_sum_span([-1, 2, 3, -10, 4]) == (1, 2, 5.0)
    assert F.max_sum_span([-1, 2, 1, -10, 4]) == (4, 4, 4.0)
    assert F.max_sum_span([-1, 2, 3, -1, 4, -5]) == (1, 4, 8.0)
    assert F.max_sum_span([-3, -1, -2]) == (1, 1, -1.0)
    with pytest.raises(ValueError):
        F.max_sum_span([])


def test_calibration_makes_the_outlier_stand_out_and_is_scale_free():
    raw = np.array([0.10, 0.12, 0.11, 0.60, 0.09, 0.13])
    z = F.calibrate(raw)
    assert np.argmax(z) == 3 and z[3] > 5 and (np.delete(z, 3) < F.THRESHOLD).all()
    assert np.allclose(F.calibrate(raw * 10 + 3), z)
    assert np.all(np.isfinite(F.calibrate(np.ones(5))))


def test_span_around_grows_only_while_it_pays_and_stays_in_bounds():
    v = [-5, 1, 2, 9, -1, 3, -8]
    assert F.span_around(v, 3) == (1, 5)
    assert F.span_around(v, 3, lo=2, hi=4) == (2, 3)
    assert F.span_around([-1, 5, -1], 1) == (1, 1)


def test_sentences_align_to_shots_in_order():
    s = np.array([[5, 0, 0, 0, 1],
                  [0, 0, 0, 4, 0],
                  [0, 0, 3, 0, 6]], float)
    assert F.align_in_order(s) == [0, 3, 4]
    # the greedy best per row (0, 3, 2) breaks the order; the DP keeps it
    s2 = np.array([[0, 0, 5], [4, 0, 0]], float)
    assert F.align_in_order(s2) in ([0, 0], [2, 2])
    assert F.align_in_order(np.zeros((0, 3))) == []


def test_spans_tighten_to_the_matched_cue_times():
    assert F.tighten((20.0, 25.0), [(21.5, 24.5)]) == (21.25, 24.75)
    assert F.tighten((20.0, 25.0), [(19.0, 20.1)]) == (20.0, 20.35)
    assert F.tighten((20.0, 25.0), [(30.0, 31.0)]) == (20.0, 25.0)
    assert F.iou((0, 2), (1, 3)) == pytest.approx(1 / 3)


def test_mil_finds_the_instances_that_explain_the_bag_labels():
    rng = np.random.default_rng(0)
    d, per_bag = 16, 12
    planted = rng.normal(size=d)
    feats, bag_of, truth = [], [], []
    for bag in range(8):
        x = rng.normal(size=(per_bag, d))
        hit = np.zeros(per_bag, bool)
        if bag < 4:                         # tagged bags: 2 of 12 instances carry the planted pattern
            hit[rng.choice(per_bag, 2, replace=False)] = True
            x[hit] += 2.5 * planted
        feats.append(x)
        bag_of += [bag] * per_bag
        truth += list(hit)
    labels = np.array([[1.0] if b < 4 else [0.0] for b in range(8)], np.float32)
    model = train_mil(np.concatenate(feats), np.array(bag_of), labels)
    scores = model.responses(np.concatenate(feats))[:, 0]
    assert average_precision(scores, np.array(truth)) >= 0.9


def test_average_precision():
    assert average_precision(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1])) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(np.array([0.1, 0.2]), np.array([0, 0])) == 0.0


def test_narrowing_in_a_long_shot_lands_on_the_cue_that_scored_best():
    """One 60-s shot holds three cues. The query's meaning matched the cue at 40-44 s best (it added
    0.55 to the shot's score); a keyword of the query also sits in the cue at 5-8 s, whose BM25 score
    is the library's best (normalised 1.0) but adds only 0.35. The clip must be 40-44 s, not 5-8 s:
    raw scores are on different scales, contributions are not."""
    from cinesearch.search.engine import _timed_matches

    why = [{"modality": "bm25", "kind": "subtitle", "start": 5.0, "end": 8.0, "score": 1.0, "weight": 0.35},
           {"modality": "text", "kind": "subtitle", "start": 40.0, "end": 44.0, "score": 0.55, "weight": 0.55},
           {"modality": "text", "kind": "subtitle", "start": 20.0, "end": 22.0, "score": 0.2, "weight": 0.2}]
    assert F.tighten((0.0, 60.0), _timed_matches(why)) == (39.75, 44.25)
    # by raw score (the old rule) the keyword cue would have won
    assert F.tighten((0.0, 60.0), [(5.0, 8.0)]) == (4.75, 8.25)


def test_strongest_evidence_keeps_near_ties_only():
    assert F.strongest_evidence([(1, 2, 0.5), (3, 4, 0.48), (5, 6, 0.3)]) == [(1, 2), (3, 4)]
    assert F.strongest_evidence([]) == []


def test_shot_filters_ride_in_the_query_box():
    q = parse_query("a street shot:night shot:Close-Up")
    assert q.text == "a street" and q.shot == ["night", "close-up"]
    alone = parse_query("shot:night")
    assert alone.text == "night" and alone.shot == ["night"]
    assert parse_query("tag:war shot:pan").text == ""


def test_an_event_span_snaps_to_the_scenes_it_tells():
    scenes = [(0.0, 30.0), (30.0, 50.0), (50.0, 120.0)]
    assert F.snap_to_scenes((33.0, 48.0), scenes) == (30.0, 50.0, 1, 1)     # most of scene 1
    assert F.snap_to_scenes((25.0, 52.0), scenes) == (30.0, 50.0, 1, 1)     # grazes 0 and 2
    assert F.snap_to_scenes((10.0, 45.0), scenes) == (0.0, 50.0, 0, 1)
    assert F.snap_to_scenes((60.0, 70.0), scenes) is None                   # a moment inside a long scene
    assert F.snap_to_scenes((60.0, 70.0), []) is None


def test_a_query_is_capped_in_sentences_and_names():
    from cinesearch.search.query import MAX_NAMES, MAX_SENTENCES, QueryError

    ok = " ".join(f"Sentence number {i} is here." for i in range(MAX_SENTENCES))
    assert len(parse_query(ok).sentences) == MAX_SENTENCES
    with pytest.raises(QueryError, match=f"{MAX_SENTENCES + 1} sentences; at most {MAX_SENTENCES}"):
        parse_query(ok + " One more.")
    with pytest.raises(QueryError, match=f"at most {MAX_NAMES}"):
        parse_query("x", tags=[f"t{i}" for i in range(MAX_NAMES + 1)])


def test_a_giant_png_is_refused_from_its_header_and_a_big_jpeg_is_shrunk():
    import io

    from PIL import Image

    from cinesearch.search.face_query import MAX_SIDE, FaceQueryError, decode_photo

    png = io.BytesIO()
    Image.new("RGB", (6000, 6000), (200, 180, 160)).save(png, "PNG")
    with pytest.raises(FaceQueryError, match="6000x6000 is too large for a PNG"):
        decode_photo(png.getvalue())
    jpeg = io.BytesIO()
    Image.new("RGB", (5000, 3000), (90, 120, 60)).save(jpeg, "JPEG")
    assert max(decode_photo(jpeg.getvalue()).shape[:2]) <= MAX_SIDE
