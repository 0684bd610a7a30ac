"""Concept-bank scoring (search.concept_bank) and the bank the vision layer keeps per shot
(indexer.concepts.label_bank): pure functions on built numbers, no models."""

from __future__ import annotations

import numpy as np
import pytest

from cinesearch.indexer.concepts import ConceptParams, label_bank
from cinesearch.models.imagenet import class_names
from cinesearch.search.concept_bank import FLOOR, LabelSpace, bank_matrix, bank_scores, contributors, label_weights


def test_the_bank_keeps_what_the_top_labels_drop():
    """A hare at 0.08 under a wrong label at 0.6: the top labels (>= 0.15) keep only the wrong one,
    the bank keeps both with their mean probability over the keyframes, most probable first."""
    a = np.full(1000, 0.0003, np.float32)
    a[150], a[331] = 0.6, 0.08
    b = a.copy()
    b[331] = 0.12
    bank = label_bank([a, b])
    assert bank[0] == (150, 0.6) and bank[1] == (331, 0.1)
    assert all(p >= ConceptParams().bank_min for _, p in bank) and len(bank) == 2
    assert label_bank([]) == []
    assert len(label_bank([np.full(1000, 0.01, np.float32)])) == ConceptParams().bank_size


def test_weights_go_to_the_classes_that_stand_out_for_each_sentence():
    sims = np.full((2, 50), 0.1)
    sims[0, [3, 7]] = [0.9, 0.7]          # sentence 0 is about classes 3 and 7
    sims[0, :] += np.linspace(0, 0.02, 50)
    w = label_weights(sims)
    assert w.shape == sims.shape
    assert np.isclose(w[0].sum(), 1.0) and w[0, 3] > w[0, 7] > 0
    assert np.count_nonzero(w[0]) == 2
    assert not w[1].any()                  # a flat row: no class is about it
    assert np.count_nonzero(label_weights(np.r_[np.full(40, 0.1), np.full(10, 0.9)][None], top=3)) <= 3


def test_a_shot_scores_the_weighted_probability_of_the_classes_and_says_which():
    names = ["sea lion", "hare", "wood rabbit, cottontail", "car"]
    bank = bank_matrix([[(0, 0.6), (1, 0.1)], [(3, 0.9)], [], [(2, 0.3), (9, 0.5)]], len(names))
    assert bank.shape == (4, 4) and bank[3, 2] == pytest.approx(0.3)   # a class beyond the space is dropped
    rabbit = np.array([0.0, 0.5, 0.5, 0.0])
    scores = bank @ rabbit
    assert np.argmax(scores) == 3 and scores[1] == 0 and scores[2] == 0
    assert scores[0] == pytest.approx(0.05)
    assert contributors(bank[3], rabbit, names) == ["wood rabbit"]
    assert contributors(bank[1], rabbit, names) == []


def test_a_label_space_normalises_what_the_encoder_gives():
    space = LabelSpace.of(["a", "b"], lambda names: np.array([[3.0, 4.0], [0.0, 2.0]]))
    assert np.allclose(np.linalg.norm(space.vectors, axis=1), 1.0)
    w = space.weights(np.array([[0.6, 0.8]]))
    assert w.shape == (1, 2)


def test_class_names_carry_their_group_word_once():
    names = class_names(["tench, Tinca tinca"] + ["x"] * 150 + ["Chihuahua", "Japanese spaniel"])
    assert names[0] == "tench, Tinca tinca (fish)" and names[151] == "Chihuahua (dog)"
    assert names[5] == "x (fish)" and names[7] == names[100] == "x (bird)" and names[26] == "x"


def test_bank_scores_are_on_a_cosine_scale_and_weak_ones_are_dropped():
    bank = bank_matrix([[(0, 0.0625)], [(1, 0.21)], [(0, 0.25), (1, 0.25)]], 2)
    moped_query = np.array([1.0, 0.0])          # all about class 0
    half_named = np.array([0.0, 0.26])          # class 1 only half named (its weight after others)
    assert bank_scores(bank, moped_query) == pytest.approx([0.25, 0.0, 0.5])
    weak = bank_scores(bank, half_named)
    assert weak[1] == 0.0 and np.sqrt(0.21) * 0.26 < FLOOR      # 0.12: noise, not evidence
    assert weak[2] == 0.0 and bank_scores(bank, half_named, floor=0.0)[1] == pytest.approx(np.sqrt(0.21) * 0.26)
