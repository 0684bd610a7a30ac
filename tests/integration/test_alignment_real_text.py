"""Untimed story text aligned to scenes on real text with the real (packaged) MiniLM model: each
script line lands on the scene whose subtitles it paraphrases, in order."""

from __future__ import annotations

import pytest

from cinesearch.indexer.text_layer import align_untimed
from cinesearch.search.store import Scene, TextSegment

# Dialogue as subtitles per scene (public-domain style exchanges), and a script that paraphrases it.
SCENES = [
    "Ahoy! The ship leaves the harbour at dawn. Load the last barrels of fresh water.",
    "I cannot marry him, mother. My heart belongs to another. Then you will break this family.",
    "Iceberg, right ahead! Hard to starboard! Close the watertight doors now!",
    "Women and children first into the lifeboats. There are not enough boats for everyone.",
    "The water is so cold. Promise me you will survive. I promise. I will never let go.",
]
SCRIPT = [
    "CAPTAIN: Get the fresh-water barrels aboard; we sail from the harbour at first light.",
    "ROSE: Mother, I will not marry him, I love someone else.",
    "LOOKOUT: There's an iceberg dead ahead! Turn to starboard and seal the doors!",
    "OFFICER: Only women and children in the boats — there aren't enough lifeboats.",
    "JACK: You have to survive this, promise me. ROSE: I'll never let go, I promise.",
]


@pytest.fixture(scope="module")
def embed():
    from cinesearch.models import text_embedder

    return text_embedder()


def test_script_lines_land_on_the_scenes_with_matching_subtitles_in_order(embed):
    scenes = [Scene(i, 10.0 * i, 10.0 * i + 10, 2 * i, 2 * i + 1) for i in range(len(SCENES))]
    units = [TextSegment("script", "script.txt", None, None, line) for line in SCRIPT]
    aligned = align_untimed(units, scenes, SCENES, embed)
    assert [u.first_shot // 2 for u in aligned] == [0, 1, 2, 3, 4]
    assert [(u.start, u.end) for u in aligned] == [(s.start, s.end) for s in scenes]
    assert all(u.confidence is not None and u.confidence > 0.5 for u in aligned)


def test_order_wins_over_a_misleading_line_and_confidence_says_so(embed):
    """A line that on its own matches an earlier scene than the story order allows cannot send the
    alignment backwards: units stay in order, and the one placed away from its own best scene gets
    a low confidence while the others stay confident."""
    scenes = [Scene(i, 10.0 * i, 10.0 * i + 10, i, i) for i in range(len(SCENES))]
    script = [SCRIPT[0], SCRIPT[2], "Mother says the ship leaves at dawn.", SCRIPT[4]]
    aligned = align_untimed([TextSegment("synopsis", "movie.json", None, None, t) for t in script], scenes,
                            SCENES, embed)
    alone = [align_untimed([TextSegment("synopsis", f"alone{i}", None, None, t)], scenes, SCENES, embed)[0]
             for i, t in enumerate(script)]
    got = [u.first_shot for u in aligned]
    assert got == sorted(got) and got[0] == 0 and got[-1] == 4
    displaced = [i for i, (u, a) in enumerate(zip(aligned, alone, strict=True)) if u.first_shot != a.first_shot]
    assert len(displaced) == 1
    for i, u in enumerate(aligned):
        assert (u.confidence < 0.5) if i in displaced else (u.confidence > 0.9), (i, u.confidence)
