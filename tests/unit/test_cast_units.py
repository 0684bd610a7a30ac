"""Pure parts of cast search: face tracks from detections, PPCC against label propagation."""

from __future__ import annotations

import numpy as np

from cinesearch.indexer.tracks import Detection, body_box, link_tracks
from cinesearch.search.mil import average_precision
from cinesearch.search.ppcc import assign, label_propagation, ppcc


def _unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def test_tracks_link_by_overlap_or_face_and_split_different_people():
    a, b = _unit([1, 0, 0, 0]), _unit([0, 1, 0, 0])
    samples = [
        [Detection(0.0, (10, 10, 50, 50), a, 0.9), Detection(0.0, (200, 10, 240, 50), b, 0.8)],
        [Detection(0.5, (14, 12, 54, 52), a, 0.5), Detection(0.5, (205, 12, 245, 52), b, 0.9)],
        [Detection(1.0, (120, 10, 160, 50), a, 0.7)],          # moved far: linked by its face
    ]
    tracks = link_tracks(samples)
    assert len(tracks) == 2
    ta = next(t for t in tracks if t.face @ a > 0.99)
    assert (ta.start, ta.end, len(ta.detections)) == (0.0, 1.0, 3) and ta.best.time == 0.0
    assert body_box((10, 10, 50, 50), 100, 100) == (0, 10, 70, 100)


def _graph(seed: int = 1):
    """Two identities, each with 3 face tracks (face links to the portrait and each other) and 4
    faceless nodes linked in time to one face track; every faceless node also co-occurs weakly with
    3 nodes of the other identity (clutter that sums up under label propagation)."""
    rng = np.random.default_rng(seed)
    n = 2 + 2 * 7
    w = np.zeros((n, n))
    truth = np.zeros(n, int)

    def edge(i, j, v):
        w[i, j] = w[j, i] = max(w[i, j], v)

    groups = {}
    for c in range(2):
        base = 2 + 7 * c
        face, faceless = list(range(base, base + 3)), list(range(base + 3, base + 7))
        groups[c] = face + faceless
        truth[base:base + 7] = truth[c] = c
        for f in face:
            edge(c, f, 0.85)
            for g in face:
                if f != g:
                    edge(f, g, 0.8)
        for k, node in enumerate(faceless):
            edge(face[k % 3], node, 0.6)
    for c in range(2):
        for node in groups[c][3:]:
            for other in rng.choice(groups[1 - c], 3, replace=False):
                edge(node, int(other), 0.35)
    return w, truth


def test_ppcc_beats_label_propagation_on_a_cluttered_graph():
    w, truth = _graph()
    labels = {0: 0, 1: 1}

    def mean_ap(p):
        return np.mean([average_precision(p[2:, c], truth[2:] == c) for c in range(2)])

    p_cc, p_lp = ppcc(w, labels, 2), label_propagation(w, labels, 2)
    assert mean_ap(p_cc) == 1.0
    assert mean_ap(p_lp) < 0.9
    assert assign(p_cc, 2)[2:] == list(truth[2:])


def test_unreached_or_weak_nodes_stay_unknown():
    w = np.zeros((4, 4))
    w[0, 1] = w[1, 0] = 0.9     # node 1: the portrait's person
    w[0, 2] = w[2, 0] = 0.2     # node 2: a weak look-alike, below the unknown score
    p = ppcc(w, {0: 0}, 1)
    assert assign(p, 1) == [0, 0, None, None]
